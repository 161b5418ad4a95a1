# Reference radius and kernel matching ATTs (psmatch2's definitions written out in plain R)
# on the synthetic data of matching_synthetic.R. Run from the repository root.
library(jsonlite)
d <- read.csv("tests/reference/matching_synthetic.csv", stringsAsFactors = FALSE); d$g <- factor(d$g)
ps <- fitted(glm(treat ~ x1 + x2 + x3 + g, data = d, family = binomial))
tr <- which(d$treat == 1); co <- which(d$treat == 0)
K <- list(epanechnikov = function(u) ifelse(abs(u) < 1, 0.75 * (1 - u^2), 0),
          gaussian = function(u) ifelse(abs(u) <= 8, dnorm(u), 0),
          tricube = function(u) ifelse(abs(u) < 1, (1 - abs(u)^3)^3, 0))
kern <- function(k, h) {
  taus <- sapply(tr, function(i) { w <- K[[k]]((ps[co] - ps[i]) / h); if (sum(w) == 0) NA else d$y[i] - sum(w * d$y[co]) / sum(w) })
  list(att = mean(taus, na.rm = TRUE), unmatched = sum(is.na(taus)))
}
radius <- function(r) {
  taus <- sapply(tr, function(i) { j <- co[abs(ps[co] - ps[i]) <= r]; if (length(j) == 0) NA else d$y[i] - mean(d$y[j]) })
  list(att = mean(taus, na.rm = TRUE), unmatched = sum(is.na(taus)))
}
out <- list(generator = paste(R.version.string, "plain-R psmatch2 definitions"),
            epanechnikov_0.06 = kern("epanechnikov", 0.06), gaussian_0.01 = kern("gaussian", 0.01),
            tricube_0.03 = kern("tricube", 0.03), radius_0.001 = radius(0.001), radius_0.01 = radius(0.01))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE), "tests/reference/kernel_synthetic.json")
