# Reference matches and effects on a seeded synthetic data set with continuous covariates, so
# no two units share a propensity score and MatchIt 4.5.1 (Debian) and 4.7 break no ties.
# Run from the repository root: Rscript tests/reference/r/matching_synthetic.R
# Writes tests/reference/matching_synthetic.csv (the data) and tests/reference/matching_synthetic.json.
suppressPackageStartupMessages({ library(MatchIt); library(Matching); library(sandwich); library(jsonlite) })
set.seed(20261124)
n <- 2000
x1 <- rnorm(n); x2 <- rnorm(n); x3 <- runif(n); g <- sample(c("a", "b", "c"), n, replace = TRUE)
lp <- -1.6 + 0.8 * x1 - 0.5 * x2 + 1.2 * x3 + ifelse(g == "b", 0.4, 0) + ifelse(g == "c", -0.3, 0)
treat <- rbinom(n, 1, plogis(lp))
y <- 1 + 2 * treat + x1 + 0.5 * x2 - x3 + rnorm(n)
d <- data.frame(id = paste0("u", seq_len(n)), treat, x1 = round(x1, 6), x2 = round(x2, 6), x3 = round(x3, 6), g, y = round(y, 6))
write.csv(d, "tests/reference/matching_synthetic.csv", row.names = FALSE)
d <- read.csv("tests/reference/matching_synthetic.csv", stringsAsFactors = FALSE)
d$g <- factor(d$g)
f <- treat ~ x1 + x2 + x3 + g
att <- function(m) { md <- match.data(m); unname(coef(lm(y ~ treat, data = md, weights = weights))[2]) }
pairs_of <- function(m) {
  mm <- m$match.matrix
  tr <- rownames(mm)
  out <- character(0)
  for (k in seq_len(ncol(mm))) { ok <- !is.na(mm[, k]); out <- c(out, paste(d$id[as.integer(tr[ok])], d$id[as.integer(mm[ok, k])], sep = ",")) }
  sort(out)
}
# Nearest matching without replacement: Debian's MatchIt 4.5.1 is not usable as a reference
# here (on this data it skips nearer available controls: a caliper bug fixed in later releases),
# so the references come from Matching::Match(replace = FALSE, ties = FALSE), which matches
# treated units greedily in data order (our order = "data") on the same score; distance.tolerance
# = 0, because its default 1e-5 (on the squared standardised scale) makes near-equal distances
# ties, which ties = FALSE breaks at random.
pairs_match <- function(mm) sort(paste(d$id[mm$index.treated], d$id[mm$index.control], sep = ","))
ps <- fitted(glm(f, data = d, family = binomial))
res <- list()
run <- function(nm, ...) {
  mm <- Match(Y = d$y, Tr = d$treat, X = ps, estimand = "ATT", M = 1, replace = FALSE, ties = FALSE, distance.tolerance = 0, ...)
  res[[nm]] <<- list(att = unname(mm$est[1, 1]), pairs = pairs_match(mm), nMatchedTreated = length(unique(mm$index.treated)))
}
run("data_order")
run("data_order_caliper_0.1sd", caliper = 0.1)
run("data_order_caliper_0.02sd", caliper = 0.02)
# Standard errors of MatchIt's recommended regression route, computed on matches from Match().
# 1:1 without replacement (data order): lm(y ~ treat, weights) + vcovCL(cluster = pair, HC1).
mm <- Match(Y = d$y, Tr = d$treat, X = ps, estimand = "ATT", M = 1, replace = FALSE, ties = FALSE, distance.tolerance = 0)
md <- rbind(data.frame(y = d$y[mm$index.treated], treat = 1, w = 1, pair = seq_along(mm$index.treated)),
            data.frame(y = d$y[mm$index.control], treat = 0, w = 1, pair = seq_along(mm$index.control)))
fit <- lm(y ~ treat, data = md, weights = w)
se_pairs <- sqrt(vcovCL(fit, cluster = ~pair, type = "HC1")[2, 2])
# With replacement, 3 controls each: MatchIt-style unit weights (control: sum of 1/3 over the
# treated it serves, rescaled to the number of matched controls), unit-level HC1 (sets overlap).
mm3 <- Match(Y = d$y, Tr = d$treat, X = ps, estimand = "ATT", M = 3, replace = TRUE, ties = FALSE, distance.tolerance = 0)
w <- numeric(n); w[unique(mm3$index.treated)] <- 1
cw <- tapply(mm3$weights, mm3$index.control, sum); w[as.integer(names(cw))] <- cw
ctrl <- d$treat == 0 & w > 0; w[ctrl] <- w[ctrl] * sum(ctrl) / sum(w[ctrl])
md3 <- data.frame(y = d$y, treat = d$treat, w = w)[w > 0, ]
fit3 <- lm(y ~ treat, data = md3, weights = w)
se_hc1 <- sqrt(vcovHC(fit3, type = "HC1")[2, 2])
# Abadie-Imbens: Matching::Match on the glm score, ties = TRUE, Var.calc = 0, 1, 3; and M = 2.
ai <- list()
for (vc in c(0, 1, 3)) { mm <- Match(Y = d$y, Tr = d$treat, X = ps, estimand = "ATT", M = 1, ties = TRUE, Var.calc = vc)
  ai[[paste0("M1_var", vc)]] <- list(est = mm$est, se = mm$se, se_standard = mm$se.standard, nPairs = length(mm$index.treated)) }
mm <- Match(Y = d$y, Tr = d$treat, X = ps, estimand = "ATT", M = 2, ties = TRUE, Var.calc = 0)
ai[["M2_var0"]] <- list(est = mm$est, se = mm$se, se_standard = mm$se.standard, nPairs = length(mm$index.treated))
out <- list(generator = paste0(R.version.string, ", MatchIt ", packageVersion("MatchIt"), ", Matching ", packageVersion("Matching"), ", sandwich ", packageVersion("sandwich")),
            formula = "treat ~ x1 + x2 + x3 + g", cases = res,
            se = list(pairs_1to1_vcovCL_pair_HC1 = list(att = unname(coef(fit)[2]), se = se_pairs),
                      replace_ratio3_vcovHC_HC1 = list(att = unname(coef(fit3)[2]), se = se_hc1)),
            ai = ai, ps = unname(ps))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA), "tests/reference/matching_synthetic.json")
