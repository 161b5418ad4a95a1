# Reference matches on MatchIt's lalonde (tests/reference/lalonde.csv, with an `id` column).
# Run from the repository root: Rscript tests/reference/r/matching_lalonde.R
# Writes tests/reference/matching_lalonde.json:
#   ps, lp          fitted probabilities and linear predictor of
#                   glm(treat ~ age + educ + race + married + nodegree + re74 + re75, binomial)
#   matching_ties   Matching::Match(Y = re78, Tr = treat, X = ps, estimand = "ATT", M = 1,
#                   ties = TRUE) (defaults: replace = TRUE, distance.tolerance = 1e-5):
#                   index.treated / index.control (1-based rows) / weights, est, se
#   matchit451      MatchIt (installed version) nearest-neighbour results, kept for the record:
#                   Debian's MatchIt 4.5.1 predates the caliper fix (#163) and on this build
#                   does not pick the nearest control, so the tests use the MatchIt 4.7.2
#                   pairs in lalonde_pairs_matchit.csv (and lalonde_att.R's ATT) instead.
suppressPackageStartupMessages({ library(MatchIt); library(Matching); library(jsonlite) })
d <- read.csv("tests/reference/lalonde.csv", stringsAsFactors = FALSE)
d$race <- factor(d$race)
f <- treat ~ age + educ + race + married + nodegree + re74 + re75
fit <- glm(f, data = d, family = binomial)
ps <- unname(fitted(fit))
lp <- unname(fit$linear.predictors)
# Doubles at full precision (%.17g); jsonlite's own formatting stops at 15 digits.
num <- function(x) structure(paste0("[", paste(sprintf("%.17g", x), collapse = ","), "]"), class = "json")
num1 <- function(x) structure(sprintf("%.17g", x), class = "json")
mm <- Match(Y = d$re78, Tr = d$treat, X = ps, estimand = "ATT", M = 1, ties = TRUE)
# MatchIt-weighted ATT: mean of treated re78 minus the weighted mean of matched controls.
att_matchit <- function(m) {
  md <- match.data(m)
  w <- md$weights
  mean(md$re78[md$treat == 1]) - sum(w[md$treat == 0] * md$re78[md$treat == 0]) / sum(w[md$treat == 0])
}
pairs_of <- function(m) {
  mx <- m$match.matrix; tr <- rownames(mx); out <- character(0)
  for (k in seq_len(ncol(mx))) { ok <- !is.na(mx[, k]); out <- c(out, paste(d$id[as.integer(tr[ok])], d$id[as.integer(mx[ok, k])], sep = ",")) }
  sort(out)
}
m1 <- matchit(f, data = d, method = "nearest")
m2 <- matchit(f, data = d, method = "nearest", replace = TRUE, ratio = 2)
out <- list(
  generator = paste0(R.version.string, ", MatchIt ", packageVersion("MatchIt"), ", Matching ", packageVersion("Matching")),
  formula = "treat ~ age + educ + race + married + nodegree + re74 + re75",
  ids = d$id, ps = num(ps), lp = num(lp),
  matching_ties = list(call = "Match(Y = re78, Tr = treat, X = ps, estimand = 'ATT', M = 1, ties = TRUE)",
                       index_treated = mm$index.treated, index_control = mm$index.control,
                       weights = num(mm$weights), est = num1(mm$est[1, 1]), se = num1(mm$se)),
  matchit451 = list(note = "MatchIt 4.5.1 (Debian) nearest-neighbour results; unreliable on this build (see script header)",
                    default = list(att = num1(att_matchit(m1)), pairs = pairs_of(m1)),
                    replace_ratio2 = list(att = num1(att_matchit(m2))))
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, json_verbatim = TRUE), "tests/reference/matching_lalonde.json")
