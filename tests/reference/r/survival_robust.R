# Reference robust (matched-set cluster) SEs of weighted Kaplan-Meier curves, and log-rank tests
# for k > 2 groups (survival package). Run from the repository root:
#   Rscript tests/reference/r/survival_robust.R      (writes tests/reference/survival_robust.json)
#
# A matched sample with replacement and a variable number of controls per treated unit (1-3):
# each treated unit t is its own matched set (subclass t); a control serving several treated
# units appears once per set, with the pair weight 1/k_t -- MatchIt's get_matches() layout.
# Non-integer weights: survfit's default variance is then the robust one (survfitKM, survival
# 3.5-3: `has.rwt <- any(weights != floor(weights))` -> robust <- TRUE). We set robust = TRUE
# and id = subclass explicitly, as the issue asks, and check that cluster = subclass agrees.
suppressPackageStartupMessages({ library(survival); library(jsonlite) })
set.seed(20240613)
nT <- 40; nC <- 60
n <- nT + nC
treat <- c(rep(1L, nT), rep(0L, nC))
ev_time <- ceiling(rexp(n, ifelse(treat == 1, 1/40, 1/28)))      # months, ties on purpose
cens <- sample(c(18, 30, 42), n, replace = TRUE)
time <- pmin(ev_time, cens)
status <- as.integer(ev_time <= cens)
k <- sample(1:3, nT, replace = TRUE)
pairs <- do.call(rbind, lapply(1:nT, function(t) data.frame(treated = t, control = nT + sample(nC, k[t]), weight = 1 / k[t])))
gm <- rbind(data.frame(unit = 1:nT, subclass = 1:nT, w = 1),
            data.frame(unit = pairs$control, subclass = pairs$treated, w = pairs$weight))
gm$treat <- treat[gm$unit]; gm$time <- time[gm$unit]; gm$status <- status[gm$unit]
times <- c(6, 12, 18, 24, 30, 36, 42)
fit_id <- survfit(Surv(time, status) ~ treat, data = gm, weights = w, robust = TRUE, id = subclass)
fit_cl <- survfit(Surv(time, status) ~ treat, data = gm, weights = w, robust = TRUE, cluster = subclass, influence = TRUE)
fit_gw <- survfit(Surv(time, status) ~ treat, data = gm, weights = w, robust = FALSE)
fit_default <- survfit(Surv(time, status) ~ treat, data = gm, weights = w)
fit_robust_units <- survfit(Surv(time, status) ~ treat, data = gm, weights = w, robust = TRUE)
stopifnot(isTRUE(all.equal(fit_id$std.err, fit_cl$std.err)))
s_id <- summary(fit_id, times = times, extend = TRUE)
s_gw <- summary(fit_gw, times = times, extend = TRUE)
grp <- function(s, g) s$strata == paste0("treat=", g)
# SE of S_T(t) - S_C(t) with the matched-set covariance: survfit's influence (per cluster,
# already weighted) of each curve at each time, treated minus control, summed by cluster.
infl <- fit_cl$influence.surv            # unnamed list in strata order (treat=0, treat=1): clusters x times
names(infl) <- c("0", "1")
tt <- list(`0` = fit_cl[1]$time, `1` = fit_cl[2]$time)
at <- function(g, t) { j <- findInterval(t, tt[[g]]); if (j == 0) setNames(rep(0, nrow(infl[[g]])), rownames(infl[[g]])) else infl[[g]][, j] }
# Check: each curve's own influence gives its robust SE.
stopifnot(isTRUE(all.equal(sapply(times, function(t) sqrt(sum(at("0", t)^2))), s_id$std.err[s_id$strata == "treat=0"])))
diff_se <- sapply(times, function(t) {
  a <- at("1", t); b <- at("0", t)
  cl <- union(names(a), names(b)); u <- setNames(rep(0, length(cl)), cl)
  u[names(a)] <- u[names(a)] + a; u[names(b)] <- u[names(b)] - b
  sqrt(sum(u^2))
})
out <- list(
  generator = paste0(R.version.string, ", survival ", packageVersion("survival")),
  call = "survfit(Surv(time, status) ~ treat, data = get_matches layout, weights = w, robust = TRUE, id = subclass)",
  # With non-integer weights and no id/cluster, survfit's default SE is the robust one (each row its own cluster).
  default_equals_robust = isTRUE(all.equal(fit_default$std.err, fit_robust_units$std.err)),
  default_equals_greenwood = isTRUE(all.equal(fit_default$std.err, fit_gw$std.err)),
  data = list(time = time, status = status, treat = treat),
  pairs = pairs, times = times,
  treated = list(surv = s_id$surv[grp(s_id, 1)], robust_se = s_id$std.err[grp(s_id, 1)], greenwood_se = s_gw$std.err[grp(s_gw, 1)],
                 lower = s_id$lower[grp(s_id, 1)], upper = s_id$upper[grp(s_id, 1)]),
  control = list(surv = s_id$surv[grp(s_id, 0)], robust_se = s_id$std.err[grp(s_id, 0)], greenwood_se = s_gw$std.err[grp(s_gw, 0)],
                 lower = s_id$lower[grp(s_id, 0)], upper = s_id$upper[grp(s_id, 0)]),
  difference_se = diff_se
)
# k-group log-rank: three and four levels, survdiff's chi-square on k - 1 df.
set.seed(11)
m <- 150
g3 <- sample(0:2, m, replace = TRUE)
t3 <- ceiling(rexp(m, c(1/30, 1/22, 1/45)[g3 + 1])); c3 <- sample(c(20, 40, 60), m, replace = TRUE)
e3 <- as.integer(t3 <= c3); t3 <- pmin(t3, c3)
g4 <- sample(c("a", "b", "c", "d"), m, replace = TRUE)
sd3 <- survdiff(Surv(t3, e3) ~ g3)
sd4 <- survdiff(Surv(t3, e3) ~ g4)
lr <- function(sd) list(chisq = sd$chisq, df = length(sd$n) - 1, p = pchisq(sd$chisq, length(sd$n) - 1, lower.tail = FALSE),
                         obs = as.numeric(sd$obs), exp = as.numeric(sd$exp))
out$logrank <- list(time = t3, event = e3, g3 = g3, g4 = g4, three = lr(sd3), four = lr(sd4))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, dataframe = "columns"), "tests/reference/survival_robust.json")
cat("wrote tests/reference/survival_robust.json\n")
print(rbind(robust = out$control$robust_se, greenwood = out$control$greenwood_se, diff = diff_se))
print(c(sd3$chisq, sd4$chisq))
