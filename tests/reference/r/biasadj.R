# Abadie–Imbens (2011) bias-corrected matching: R Matching::Match(BiasAdjust = TRUE, Z = …) for
# the ATT, with replacement and ties (Matching computes the bias adjustment only with
# replace = TRUE and ties = TRUE), on MatchIt's lalonde and on the seeded synthetic data of
# matching_synthetic.R.
# Run from the repository root: R_LIBS=/opt/r-peers Rscript tests/reference/r/biasadj.R
# (Matching 4.10-8; the R_LIBS path is where the R peers are installed on the build machine).
# Writes tests/reference/biasadj.json: for each case the call, est (bias-adjusted), est.noadj,
# se (Var.calc as given), se.standard, the number of matches and Σ weights.
suppressPackageStartupMessages({ library(Matching); library(jsonlite) })
num1 <- function(x) structure(sprintf("%.17g", x), class = "json")

run <- function(Y, Tr, X, Z, M, J) {
  mm <- Match(Y = Y, Tr = Tr, X = X, Z = Z, estimand = "ATT", M = M, ties = TRUE, replace = TRUE,
              BiasAdjust = TRUE, Var.calc = J)
  list(M = M, varCalc = J, est = num1(mm$est[1, 1]), est_noadj = num1(mm$est.noadj),
       se = num1(mm$se), se_standard = num1(mm$se.standard), matches = length(mm$index.control),
       sum_weights = num1(sum(mm$weights)))
}

# lalonde: ps from glm(treat ~ age + educ + race + married + nodegree + re74 + re75), Z the same
# covariates (race as dummies; the regression is invariant to the coding).
d <- read.csv("tests/reference/lalonde.csv", stringsAsFactors = FALSE)
d$race <- factor(d$race)
f <- treat ~ age + educ + race + married + nodegree + re74 + re75
ps <- unname(fitted(glm(f, data = d, family = binomial)))
Zl <- model.matrix(f, data = d)[, -1]
lalonde <- list(
  covariates = colnames(Zl),
  M1_J0 = run(d$re78, d$treat, ps, Zl, 1, 0),
  M1_J1 = run(d$re78, d$treat, ps, Zl, 1, 1),
  M2_J0 = run(d$re78, d$treat, ps, Zl, 2, 0),
  M2_J2 = run(d$re78, d$treat, ps, Zl, 2, 2),
  # Z a subset of the score's covariates
  M1_J0_earnings = run(d$re78, d$treat, ps, as.matrix(d[, c("re74", "re75")]), 1, 0)
)

# synthetic: ps from glm(treat ~ x1 + x2 + x3 + g), Z = x1, x2, x3 and the g dummies.
s <- read.csv("tests/reference/matching_synthetic.csv", stringsAsFactors = FALSE)
s$g <- factor(s$g)
fs <- treat ~ x1 + x2 + x3 + g
pss <- unname(fitted(glm(fs, data = s, family = binomial)))
Zs <- model.matrix(fs, data = s)[, -1]
synthetic <- list(
  covariates = colnames(Zs),
  M1_J0 = run(s$y, s$treat, pss, Zs, 1, 0),
  M1_J1 = run(s$y, s$treat, pss, Zs, 1, 1),
  M3_J0 = run(s$y, s$treat, pss, Zs, 3, 0),
  M3_J2 = run(s$y, s$treat, pss, Zs, 3, 2)
)
out <- list(generator = paste0(R.version.string, ", Matching ", packageVersion("Matching")),
            lalonde = lalonde, synthetic = synthetic)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, json_verbatim = TRUE, pretty = TRUE), "tests/reference/biasadj.json")
