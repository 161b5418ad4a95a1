# MatchIt 4.7.2 nearest-neighbour matching on tied (all-categorical) data: the tie rule.
# Run from the repository root, with MatchIt 4.7.2 (built from its source archive into /opt/r-peers):
#   R_LIBS=/opt/r-peers Rscript tests/reference/r/matchit_ties.R
# Writes
#   tests/reference/matchit_ties_register.csv  a seeded synthetic register with categorical covariates
#                                              (gender, citizenship, education, province) and outcome y
#   tests/reference/matchit_ties.json          for each case: the MatchIt call, the distance it matched on,
#                                              the match matrix (1-based rows, NA = none) and unit weights
suppressPackageStartupMessages({ library(MatchIt); library(jsonlite) })
stopifnot(packageVersion("MatchIt") == "4.7.2")
num <- function(x) structure(paste0("[", paste(ifelse(is.na(x), "null", sprintf("%.17g", x)), collapse = ","), "]"), class = "json")
case <- function(name, data, args) {
  m <- do.call(matchit, c(list(data = quote(data)), args))
  mm <- m$match.matrix
  idx <- matrix(match(mm, rownames(data)), nrow = nrow(mm))
  w <- m$weights
  att <- if ("y" %in% names(data)) {
    fit <- lm(y ~ treat, data = data, weights = w, subset = w > 0)
    unname(coef(fit)["treat"])
  } else NA
  list(name = name,
       call = paste0("matchit(", paste(names(args), vapply(args, function(a) paste(deparse(a), collapse = ""), ""), sep = " = ", collapse = ", "), ")"),
       distance = num(unname(m$distance)),
       treated = which(data$treat == 1),
       match = lapply(seq_len(nrow(idx)), function(i) { r <- idx[i, ]; r[!is.na(r)] }),
       weights = num(unname(w)),
       att = structure(sprintf("%.17g", att), class = "json"))
}
out <- list(matchit = as.character(packageVersion("MatchIt")), r = R.version.string, cases = list())

# The two reproductions from the issue tracker.
r1 <- data.frame(id = 1:7, treat = c(0, 1, 1, 0, 1, 0, 0), g = c("a", "a", "a", "a", "b", "b", "b"), y = c(10, 0, 0, 20, 0, 5, 7))
rownames(r1) <- r1$id
out$cases[[length(out$cases) + 1]] <- case("repro1_replace", r1, list(formula = treat ~ g, replace = TRUE))
r2 <- data.frame(id = 1:11, treat = c(0, 0, 1, 1, 1, 0, 0, 1, 0, 0, 0), g = c(rep("a", 7), rep("b", 4)),
                 y = c(1, 2, 0, 0, 0, 6, 7, 0, 9, 10, 11))
rownames(r2) <- r2$id
out$cases[[length(out$cases) + 1]] <- case("repro2_default", r2, list(formula = treat ~ g))

# A seeded register: 3,000 people, categorical covariates only, so scores tie in blocks.
set.seed(20261202)
n <- 3000
gender <- sample(c("F", "M"), n, TRUE)
citizenship <- sample(c("IT", "EU", "nonEU"), n, TRUE, prob = c(0.8, 0.08, 0.12))
education <- sample(c("primary", "lower_sec", "upper_sec", "degree"), n, TRUE, prob = c(0.15, 0.35, 0.35, 0.15))
province <- sample(c("P1", "P2", "P3", "P4", "P5"), n, TRUE)
lin <- -1.6 + 0.3 * (gender == "F") - 0.4 * (citizenship == "nonEU") + 0.2 * (citizenship == "EU") +
  c(primary = -0.5, lower_sec = 0, upper_sec = 0.3, degree = 0.6)[education] + 0.15 * as.integer(factor(province))
treat <- rbinom(n, 1, plogis(lin))
y <- round(10 + 2 * treat + 1.5 * (education == "degree") + rnorm(n), 3)
reg <- data.frame(id = seq_len(n), treat, gender, citizenship, education, province, y)
write.csv(reg, "tests/reference/matchit_ties_register.csv", row.names = FALSE, quote = FALSE)
rownames(reg) <- reg$id
f <- treat ~ gender + citizenship + education + province
cases <- list(
  default = list(),
  replace = list(replace = TRUE),
  replace_ratio3 = list(replace = TRUE, ratio = 3),
  ratio2 = list(ratio = 2),
  ratio3_smallest = list(ratio = 3, m.order = "smallest"),
  caliper = list(caliper = 0.1),
  order_data = list(m.order = "data"),
  exact_caliper = list(exact = ~province, caliper = 0.2),
  exact_replace = list(exact = ~gender, replace = TRUE),
  exact_ratio2 = list(exact = ~citizenship, ratio = 2),
  linear_logit = list(distance = "glm", link = "linear.logit", caliper = 0.05),
  probit = list(distance = "glm", link = "probit"),
  linear_probit = list(distance = "glm", link = "linear.probit"),
  discard_both = list(discard = "both", ratio = 2, replace = TRUE),
  exact_ratio2_caliper_replace = list(exact = ~education, ratio = 2, caliper = 0.3, replace = TRUE),
  reuse2_ratio2 = list(reuse.max = 2, ratio = 2),
  variable_ratio = list(ratio = 2, min.controls = 1, max.controls = 4),
  variable_ratio_replace = list(ratio = 2.5, min.controls = 1, max.controls = 5, replace = TRUE),
  closest = list(m.order = "closest"),
  closest_ratio2 = list(m.order = "closest", ratio = 2),
  farthest = list(m.order = "farthest"),
  closest_caliper = list(m.order = "closest", caliper = 0.1),
  closest_exact = list(m.order = "closest", exact = ~province),
  closest_reuse2 = list(m.order = "closest", reuse.max = 2)
)
for (nm in names(cases)) {
  out$cases[[length(out$cases) + 1]] <- case(paste0("register_", nm), reg, c(list(formula = f), cases[[nm]]))
}

# lalonde with link = "linear.probit" and a caliper (the issue's other reproduction).
ll <- read.csv("tests/reference/lalonde.csv", stringsAsFactors = FALSE)
rownames(ll) <- ll$id
ll$y <- ll$re78
lf <- treat ~ age + educ + race + married + nodegree + re74 + re75
out$cases[[length(out$cases) + 1]] <- case("lalonde_linear_probit_caliper", ll, list(formula = lf, link = "linear.probit", caliper = 0.2))
out$cases[[length(out$cases) + 1]] <- case("lalonde_linear_logit_caliper", ll, list(formula = lf, link = "linear.logit", caliper = 0.2))
out$cases[[length(out$cases) + 1]] <- case("lalonde_closest_ratio2", ll, list(formula = lf, m.order = "closest", ratio = 2))
out$cases[[length(out$cases) + 1]] <- case("lalonde_farthest_caliper", ll, list(formula = lf, m.order = "farthest", caliper = 0.1))
# Calipers on covariates (in SDs of each covariate, std.caliper = TRUE), with and without one on the score.
out$cases[[length(out$cases) + 1]] <- case("lalonde_covariate_calipers", ll, list(formula = lf, caliper = c(0.25, age = 1, re74 = 0.5)))
out$cases[[length(out$cases) + 1]] <- case("lalonde_covariate_caliper_replace_ratio2", ll, list(formula = lf, caliper = c(re75 = 0.3), replace = TRUE, ratio = 2))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, json_verbatim = TRUE), "tests/reference/matchit_ties.json")
cat("wrote", length(out$cases), "cases\n")
