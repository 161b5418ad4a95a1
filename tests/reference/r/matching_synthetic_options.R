# Reference matches for matchNearest's options on the seeded synthetic data of
# matching_synthetic.R (continuous covariates: no two units share a propensity score).
# Run from the repository root, after matching_synthetic.R:
#   Rscript tests/reference/r/matching_synthetic_options.R
# Writes tests/reference/matching_synthetic_options.json.
#
# Why R Matching and not MatchIt: Debian's MatchIt 4.5.1 (the installed one) predates the fix
# of calipers "not working on some systems" (MatchIt NEWS, #163); on this build its nearest
# matching does not pick the nearest control (with replace = TRUE it picks the nearest for only
# 304 of 587 treated units) and caliper = 0.1 leaves nobody unmatched, so it cannot serve as a
# reference. Matching::Match(replace = FALSE, ties = FALSE, distance.tolerance = 0) matches
# treated units greedily, one at a time in data order, each to its nearest unused control:
# MatchIt's 1:1 greedy algorithm with m.order = "data". Other MatchIt orders are obtained by
# permuting the rows (treated units in the wanted order) before calling Match(); scores are
# distinct, so the row order decides nothing else. distance.tolerance = 0 because the default
# 1e-5 (on the squared standardised scale) would declare near-equal distances tied and
# ties = FALSE breaks those at random.
# Every case records the matched (treated id, control id) pairs and the MatchIt-weighted ATT:
# mean of matched treated y − Σ w_c y_c / Σ w_c, where w_c = Σ of Match()'s pair weights over
# the treated a control serves (MatchIt's weights, whose rescaling cancels in the ratio).
suppressPackageStartupMessages({ library(Matching); library(jsonlite) })
d <- read.csv("tests/reference/matching_synthetic.csv", stringsAsFactors = FALSE)
d$g <- factor(d$g)
fit <- glm(treat ~ x1 + x2 + x3 + g, data = d, family = binomial)
ps <- unname(fitted(fit))
lp <- unname(fit$linear.predictors)
num1 <- function(x) structure(sprintf("%.17g", x), class = "json")

# keep: rows that take part (discard); order: "data", "largest", "smallest" (on the distance x).
# Match()'s caliper is in units of the population SD of X (divisor n) over the rows it is given;
# MatchIt's (and ours) is in units of sd() (divisor n - 1) over the non-discarded units. So a
# MatchIt caliper c is passed to Match() as c * sd / sd_pop (sd_caliper), and a raw caliper r as
# r / sd_pop (raw_caliper).
sd_pop <- function(x) sqrt(mean((x - mean(x))^2))
run <- function(x, order = "data", keep = rep(TRUE, nrow(d)), exact = FALSE, replace = FALSE,
                sd_caliper = NULL, raw_caliper = NULL, ...) {
  rows <- which(keep)
  caliper <- if (!is.null(sd_caliper)) sd_caliper * sd(x[rows]) / sd_pop(x[rows])
             else if (!is.null(raw_caliper)) raw_caliper / sd_pop(x[rows])
  # exact: X gets the stratum code as a second column, matched exactly (its caliper is moot)
  if (exact && !is.null(caliper)) caliper <- c(caliper, 1)
  tr <- rows[d$treat[rows] == 1]
  ct <- rows[d$treat[rows] == 0]
  tr <- switch(order, data = tr, largest = tr[order(x[tr], decreasing = TRUE)], smallest = tr[order(x[tr])])
  perm <- c(tr, ct)
  X <- if (exact) cbind(x[perm], as.integer(d$g[perm])) else x[perm]
  ex <- if (exact) c(FALSE, TRUE) else NULL
  mm <- Match(Y = d$y[perm], Tr = d$treat[perm], X = X, exact = ex, estimand = "ATT", replace = replace,
              ties = FALSE, distance.tolerance = 0, caliper = caliper, ...)
  it <- perm[mm$index.treated]
  ic <- perm[mm$index.control]
  wc <- tapply(mm$weights, ic, sum)
  yc <- d$y[as.integer(names(wc))]
  att <- mean(d$y[unique(it)]) - sum(wc * yc) / sum(wc)
  list(pairs = sort(paste(d$id[it], d$id[ic], sep = ",")), att = num1(att),
       nMatchedTreated = length(unique(it)), nMatchedControls = length(unique(ic)))
}
# k:1 without replacement in MatchIt's passes (every treated unit gets its first control before
# any gets its second): Match() does all M controls of a treated unit at once, so instead call
# Match(M = 1) k times in the same treated order, each time on the controls still unused. The
# caliper stays c sd() of the distance over all units, re-expressed in each call's sd_pop units.
run_passes <- function(x, order, k, sd_caliper = NULL) {
  tr <- which(d$treat == 1)
  tr <- switch(order, data = tr, largest = tr[order(x[tr], decreasing = TRUE)], smallest = tr[order(x[tr])])
  free <- which(d$treat == 0)
  it <- integer(0); ic <- integer(0)
  for (pass in seq_len(k)) {
    perm <- c(tr, free)
    caliper <- if (is.null(sd_caliper)) NULL else sd_caliper * sd(x) / sd_pop(x[perm])
    mm <- Match(Y = d$y[perm], Tr = d$treat[perm], X = x[perm], estimand = "ATT", replace = FALSE,
                ties = FALSE, distance.tolerance = 0, caliper = caliper)
    it <- c(it, perm[mm$index.treated]); ic <- c(ic, perm[mm$index.control])
    tr <- tr[tr %in% it]                      # unmatched in a pass: no later matches either
    free <- setdiff(free, ic)
  }
  Mi <- table(it)
  pw <- 1 / as.numeric(Mi[as.character(it)])  # pair weight 1/M_i
  wc <- tapply(pw, ic, sum)
  att <- mean(d$y[unique(it)]) - sum(wc * d$y[as.integer(names(wc))]) / sum(wc)
  list(pairs = sort(paste(d$id[it], d$id[ic], sep = ",")), att = num1(att),
       nMatchedTreated = length(unique(it)), nMatchedControls = length(unique(ic)))
}
in_range <- function(x, ref) x >= min(ref) & x <= max(ref)
t1 <- d$treat == 1
keep_treated <- !t1 | in_range(ps, ps[!t1])   # discard = "treated"
keep_control <- t1 | in_range(ps, ps[t1])      # discard = "control"
keep_both <- keep_treated & keep_control       # discard = "both"
cases <- list(
  caliper_025sd_data = run(ps, "data", sd_caliper = 0.25),
  largest = run(ps, "largest"),
  smallest = run(ps, "smallest"),
  largest_caliper_01sd = run(ps, "largest", sd_caliper = 0.1),
  smallest_caliper_025sd = run(ps, "smallest", sd_caliper = 0.25),
  largest_caliper_raw_0005 = run(ps, "largest", raw_caliper = 0.005),
  logit_largest = run(lp, "largest"),
  logit_largest_caliper_01sd = run(lp, "largest", sd_caliper = 0.1),
  discard_both = run(ps, "largest", keep = keep_both),
  discard_control = run(ps, "largest", keep = keep_control),
  discard_treated = run(ps, "largest", keep = keep_treated),
  discard_both_caliper_01sd = run(ps, "largest", keep = keep_both, sd_caliper = 0.1),
  exact_g_largest = run(ps, "largest", exact = TRUE),
  exact_g_data = run(ps, "data", exact = TRUE),
  exact_g_caliper_01sd = run(ps, "largest", exact = TRUE, sd_caliper = 0.1),
  ratio2_largest = run_passes(ps, "largest", 2),
  ratio3_largest = run_passes(ps, "largest", 3),
  ratio2_data_caliper_025sd = run_passes(ps, "data", 2, sd_caliper = 0.25),
  ratio3_smallest_caliper_01sd = run_passes(ps, "smallest", 3, sd_caliper = 0.1),
  replace_ratio2 = run(ps, "data", replace = TRUE, M = 2),
  replace_ratio3_caliper_01sd = run(ps, "data", replace = TRUE, M = 3, sd_caliper = 0.1)
)
out <- list(generator = paste0(R.version.string, ", Matching ", packageVersion("Matching")),
            formula = "treat ~ x1 + x2 + x3 + g",
            discarded = list(both = sum(!keep_both), control = sum(!keep_control), treated = sum(!keep_treated)),
            cases = cases)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, json_verbatim = TRUE), "tests/reference/matching_synthetic_options.json")
