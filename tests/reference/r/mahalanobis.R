# Reference Mahalanobis matching: R Matching::Match(X = covariates, Weight = 2) (Mahalanobis on
# the full-sample covariance), greedy in data order without replacement (ties = FALSE,
# distance.tolerance = 0), and with replacement. Run from the repository root.
suppressPackageStartupMessages({ library(Matching); library(jsonlite) })
d <- read.csv("tests/reference/matching_synthetic.csv", stringsAsFactors = FALSE)
X <- as.matrix(d[, c("x1", "x2", "x3")])
pairs <- function(m) sort(paste(d$id[m$index.treated], d$id[m$index.control], sep = ","))
m1 <- Match(Y = d$y, Tr = d$treat, X = X, Weight = 2, estimand = "ATT", M = 1, replace = FALSE, ties = FALSE, distance.tolerance = 0)
m2 <- Match(Y = d$y, Tr = d$treat, X = X, Weight = 2, estimand = "ATT", M = 1, replace = TRUE, ties = FALSE, distance.tolerance = 0)
writeLines(toJSON(list(generator = paste(R.version.string, "Matching", packageVersion("Matching")),
  without = list(att = m1$est[1, 1], pairs = pairs(m1)), with = list(att = m2$est[1, 1], pairs = pairs(m2))), digits = NA, auto_unbox = TRUE),
  "tests/reference/mahalanobis_synthetic.json")
