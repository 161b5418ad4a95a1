# MatchIt 4.7.2 nearest-neighbour matching for the ATC (estimand = "ATC": each control is matched
# to treated units; default m.order "smallest"), and Matching 4.10's Abadie–Imbens SE for the ATC.
# Run from the repository root, after matchit_ties.R has written the register:
#   R_LIBS=/opt/r-peers Rscript tests/reference/r/matchit_atc.R
# Writes tests/reference/matchit_atc.json: for each case the MatchIt call, the distance, the
# focal (control) rows with the treated rows matched to each (1-based), unit weights, the weighted
# lm coefficient of treat (the ATC estimate), and summary()'s matched standardised mean
# differences (standardised by the control group's SD, as MatchIt does for the ATC).
suppressPackageStartupMessages({ library(MatchIt); library(Matching); library(jsonlite) })
stopifnot(packageVersion("MatchIt") == "4.7.2")
num <- function(x) structure(paste0("[", paste(ifelse(is.na(x), "null", sprintf("%.17g", x)), collapse = ","), "]"), class = "json")
case <- function(name, data, args) {
  m <- do.call(matchit, c(list(data = quote(data), estimand = "ATC"), args))
  mm <- m$match.matrix
  idx <- matrix(match(mm, rownames(data)), nrow = nrow(mm))
  w <- m$weights
  fit <- lm(y ~ treat, data = data, weights = w, subset = w > 0)
  s <- summary(m, standardize = TRUE)$sum.matched
  list(name = name,
       call = paste0("matchit(estimand = \"ATC\", ", paste(names(args), vapply(args, function(a) paste(deparse(a), collapse = ""), ""), sep = " = ", collapse = ", "), ")"),
       distance = num(unname(m$distance)),
       focal = match(rownames(mm), rownames(data)),
       match = lapply(seq_len(nrow(idx)), function(i) { r <- idx[i, ]; r[!is.na(r)] }),
       weights = num(unname(w)),
       atc = structure(sprintf("%.17g", unname(coef(fit)["treat"])), class = "json"),
       smd = setNames(lapply(rownames(s), function(r) structure(sprintf("%.17g", s[r, "Std. Mean Diff."]), class = "json")), rownames(s)),
       meansTreated = setNames(lapply(rownames(s), function(r) structure(sprintf("%.17g", s[r, "Means Treated"]), class = "json")), rownames(s)),
       meansControl = setNames(lapply(rownames(s), function(r) structure(sprintf("%.17g", s[r, "Means Control"]), class = "json")), rownames(s)))
}
out <- list(matchit = as.character(packageVersion("MatchIt")), matching = as.character(packageVersion("Matching")), r = R.version.string, cases = list())
reg <- read.csv("tests/reference/matchit_ties_register.csv", stringsAsFactors = FALSE)
rownames(reg) <- reg$id
f <- treat ~ gender + citizenship + education + province
cases <- list(
  default = list(),
  replace = list(replace = TRUE),
  ratio2 = list(ratio = 2),
  caliper = list(caliper = 0.1),
  largest = list(m.order = "largest"),
  exact_replace = list(exact = ~gender, replace = TRUE)
)
for (nm in names(cases)) out$cases[[length(out$cases) + 1]] <- case(paste0("register_", nm), reg, c(list(formula = f), cases[[nm]]))
ll <- read.csv("tests/reference/lalonde.csv", stringsAsFactors = FALSE)
rownames(ll) <- ll$id
ll$y <- ll$re78
lf <- treat ~ age + educ + race + married + nodegree + re74 + re75
out$cases[[length(out$cases) + 1]] <- case("lalonde_replace", ll, list(formula = lf, replace = TRUE))
out$cases[[length(out$cases) + 1]] <- case("lalonde_caliper", ll, list(formula = lf, caliper = 0.2, replace = TRUE))

# Matching 4.10: ATC with replacement and ties on the propensity score (the MatchIt distance).
ps <- matchit(lf, data = ll)$distance
mt <- Match(Y = ll$re78, Tr = ll$treat, X = ps, estimand = "ATC", M = 1, ties = TRUE, replace = TRUE)
out$matching_atc <- list(est = structure(sprintf("%.17g", mt$est), class = "json"), se = structure(sprintf("%.17g", mt$se), class = "json"),
                         se_standard = structure(sprintf("%.17g", mt$se.standard), class = "json"), distance = num(unname(ps)))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, json_verbatim = TRUE), "tests/reference/matchit_atc.json")
cat("wrote", length(out$cases), "cases\n")
