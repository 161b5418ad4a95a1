# Regression on the matched sample, MatchIt's recommended route for the ATT after matching:
#   md  <- match.data(matchit(...))
#   fit <- lm(y ~ treat + covariates, data = md, weights = weights)
#   coeftest(fit, vcov. = vcovCL, cluster = ~subclass)      (sandwich::vcovCL, type "HC1")
# and, with replacement (no subclass: matched sets overlap), sandwich::vcovHC(fit, type = "HC1").
# Two models: "adjusted", y ~ treat + covariates (constant effect), and "interacted",
# y ~ treat * (covariates centred at the matched treated units' mean): its treat coefficient is
# the average of the fitted Y(1) − Y(0) over the matched treated, i.e. the g-computation ATT of
# MatchIt's vignette (marginaleffects::avg_comparisons(fit, variables = "treat", vcov = ~subclass,
# newdata = subset(md, treat == 1)), whose delta-method SE with that fixed newdata is the SE of
# this coefficient; marginaleffects is not installed here, so the centred form is used).
# On MatchIt's lalonde and the seeded synthetic data of matching_synthetic.R.
# Run from the repository root: R_LIBS=/opt/r-peers Rscript tests/reference/r/regression.R
# (MatchIt 4.7.2 and sandwich 3.0.2; the R_LIBS path is where the R peers are installed on the
# build machine). Writes tests/reference/regression.json: for each case the treatment
# coefficient and its SE, with and without covariates, and the matched sets as "treated id,
# control id" pairs so the test can check that the match is the same.
suppressPackageStartupMessages({ library(MatchIt); library(sandwich); library(jsonlite) })
num1 <- function(x) structure(sprintf("%.17g", x), class = "json")

case <- function(d, f, outcome, covs, ...) {
  m <- matchit(f, data = d, method = "nearest", ...)
  md <- match.data(m)
  replace <- isTRUE(list(...)$replace)
  rhs <- function(extra) as.formula(paste(outcome, "~", paste(c("treat", extra), collapse = " + ")))
  one <- function(extra) {
    fit <- lm(rhs(extra), data = md, weights = weights)
    V <- if (replace) vcovHC(fit, type = "HC1") else vcovCL(fit, cluster = ~subclass, type = "HC1")
    list(att = num1(coef(fit)[["treat"]]), se = num1(sqrt(V["treat", "treat"])),
         aliased = names(which(is.na(coef(fit)))))
  }
  mm <- m$match.matrix
  tr <- rownames(mm)
  pairs <- character(0)
  for (k in seq_len(ncol(mm))) {
    ok <- !is.na(mm[, k])
    pairs <- c(pairs, paste(d$id[as.integer(tr[ok])], d$id[as.integer(mm[ok, k])], sep = ","))
  }
  interacted <- function(extra) {
    X <- model.matrix(as.formula(paste("~", paste(extra, collapse = " + "))), data = md)[, -1, drop = FALSE]
    Xc <- sweep(X, 2, colMeans(X[md$treat == 1, , drop = FALSE]))
    yy <- md[[outcome]]; tt <- md$treat; ww <- md$weights
    fit <- lm(yy ~ tt * Xc, weights = ww)
    V <- if (replace) vcovHC(fit, type = "HC1") else vcovCL(fit, cluster = md$subclass, type = "HC1")
    # Population ATT: add the spread of the fitted effects over the treated, (1/N1²) Σ (γ̂'(X_i − X̄_T))².
    g <- coef(fit)[paste0("tt:Xc", colnames(X))]
    te <- Xc[tt == 1, , drop = FALSE] %*% g
    se_pop <- sqrt(V["tt", "tt"] + sum(te^2) / sum(tt == 1)^2)
    list(att = num1(coef(fit)[["tt"]]), se = num1(sqrt(V["tt", "tt"])), se_population = num1(se_pop),
         aliased = names(which(is.na(coef(fit)))))
  }
  list(call = paste(deparse(m$call), collapse = " "), n = nrow(md), pairs = sort(pairs),
       plain = one(character(0)), adjusted = one(covs), interacted = interacted(covs))
}

d <- read.csv("tests/reference/lalonde.csv", stringsAsFactors = FALSE)
rownames(d) <- NULL
d$race <- factor(d$race)
f <- treat ~ age + educ + race + married + nodegree + re74 + re75
lc <- c("age", "educ", "race", "married", "nodegree", "re74", "re75")
lalonde <- list(
  covariates = lc,
  nearest = case(d, f, "re78", lc),
  ratio2 = case(d, f, "re78", lc, ratio = 2),
  replace = case(d, f, "re78", lc, replace = TRUE),
  earnings_only = case(d, f, "re78", c("re74", "re75"))
)

s <- read.csv("tests/reference/matching_synthetic.csv", stringsAsFactors = FALSE)
s$g <- factor(s$g)
fs <- treat ~ x1 + x2 + x3 + g
sc <- c("x1", "x2", "x3", "g")
synthetic <- list(
  covariates = sc,
  nearest = case(s, fs, "y", sc),
  ratio3 = case(s, fs, "y", sc, ratio = 3),
  caliper = case(s, fs, "y", sc, caliper = 0.1)
)
out <- list(generator = paste0(R.version.string, ", MatchIt ", packageVersion("MatchIt"), ", sandwich ", packageVersion("sandwich")),
            lalonde = lalonde, synthetic = synthetic)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, json_verbatim = TRUE), "tests/reference/regression.json")
