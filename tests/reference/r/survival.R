# Reference Kaplan-Meier, Greenwood SEs, log CIs, medians and log-rank tests (survival package).
# Run from the repository root: Rscript tests/reference/r/survival.R
# Writes tests/reference/survival.json. Seeded synthetic data with censoring and tied times.
suppressPackageStartupMessages({ library(survival); library(jsonlite) })
set.seed(42)
n <- 300
group <- rbinom(n, 1, 0.4)
ev_time <- ceiling(rexp(n, ifelse(group == 1, 1/70, 1/45)))   # months, ties on purpose
cens <- sample(c(24, 36, 48, 60, 72), n, replace = TRUE)        # administrative censoring
time <- pmin(ev_time, cens)
event <- as.integer(ev_time <= cens)
w <- sample(1:3, n, replace = TRUE)                             # integer case weights
times <- c(6, 12, 24, 36, 48, 60)
km <- function(fit) {
  s <- summary(fit, censored = TRUE)
  at <- summary(fit, times = times, extend = TRUE)
  list(time = fit$time, n_risk = fit$n.risk, n_event = fit$n.event, n_censor = fit$n.censor,
       surv = fit$surv, std_err = s$std.err, lower = fit$lower, upper = fit$upper,
       at = list(times = at$time, surv = at$surv, std_err = at$std.err),
       median = unname(summary(fit)$table["median"]))
}
fit_all <- survfit(Surv(time, event) ~ 1)
fit_w <- survfit(Surv(time, event) ~ 1, weights = w)
fit_t <- survfit(Surv(time, event) ~ 1, subset = group == 1)
sd <- survdiff(Surv(time, event) ~ group)
out <- list(generator = paste0(R.version.string, ", survival ", packageVersion("survival")),
            data = list(time = time, event = event, group = group, w = w), times = times,
            unweighted = km(fit_all), weighted = km(fit_w), treated = km(fit_t),
            logrank = list(chisq = sd$chisq, obs = as.numeric(sd$obs), exp = as.numeric(sd$exp)))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE), "tests/reference/survival.json")
