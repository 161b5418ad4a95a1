# Reference Mahalanobis matching with ties: R Matching::Match(X, Weight = 2, ties = TRUE, replace = TRUE,
# distance.tolerance = 1e-5) (Mahalanobis on the full-sample covariance, ATT, M = 1 and M = 2), on
# MatchIt's lalonde (age, educ, married, nodegree, re74, re75; outcome re78; ties at re74 = re75 = 0),
# matching_synthetic.csv (numeric x1..x3) and matchit_ties_register.csv (categorical covariates as
# treatment-coded dummies, first level dropped: many exact ties). Run from the repository root with
# Matching 4.10-8.
suppressPackageStartupMessages({ library(Matching); library(jsonlite) })
run <- function(d, X, M, Y = d$y) {
  m <- Match(Y = Y, Tr = d$treat, X = X, Weight = 2, estimand = "ATT", M = M, replace = TRUE, ties = TRUE, distance.tolerance = 1e-5)
  list(att = m$est[1, 1], pairs = paste(d$id[m$index.treated], d$id[m$index.control], signif(m$weights, 12), sep = ","))
}
s <- read.csv("tests/reference/matching_synthetic.csv", stringsAsFactors = FALSE)
r <- read.csv("tests/reference/matchit_ties_register.csv", stringsAsFactors = FALSE)
l <- read.csv("tests/reference/lalonde.csv", stringsAsFactors = FALSE)
Xl <- as.matrix(l[, c("age", "educ", "married", "nodegree", "re74", "re75")])
Xs <- as.matrix(s[, c("x1", "x2", "x3")])
Xr <- model.matrix(~ gender + citizenship + education + province, r)[, -1]
writeLines(toJSON(list(generator = paste(R.version.string, "Matching", packageVersion("Matching")),
  lalonde1 = run(l, Xl, 1, l$re78), lalonde2 = run(l, Xl, 2, l$re78),
  synthetic1 = run(s, Xs, 1), synthetic2 = run(s, Xs, 2), register1 = run(r, Xr, 1), register2 = run(r, Xr, 2)),
  digits = NA, auto_unbox = TRUE), "tests/reference/mahalanobis_ties.json")
