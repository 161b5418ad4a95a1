# MatchIt 4.7.2 Mahalanobis nearest-neighbour matching (distance = "mahalanobis", and mahvars
# inside a propensity-score caliper): which controls each treated unit gets, on the tied
# categorical register and on lalonde. Run from the repository root after matchit_ties.R:
#   R_LIBS=/opt/r-peers Rscript tests/reference/r/matchit_mahalanobis.R
# Writes tests/reference/matchit_mahalanobis.json (match matrix as 1-based rows, weights, the
# weighted-lm ATT, and the propensity score used for calipers).
suppressPackageStartupMessages({ library(MatchIt); library(jsonlite) })
stopifnot(packageVersion("MatchIt") == "4.7.2")
num <- function(x) structure(paste0("[", paste(ifelse(is.na(x), "null", sprintf("%.17g", x)), collapse = ","), "]"), class = "json")
case <- function(name, data, args) {
  m <- do.call(matchit, c(list(data = quote(data)), args))
  mm <- m$match.matrix
  idx <- matrix(match(mm, rownames(data)), nrow = nrow(mm))
  w <- m$weights
  fit <- lm(y ~ treat, data = data, weights = w, subset = w > 0)
  list(name = name,
       call = paste0("matchit(", paste(names(args), vapply(args, function(a) paste(deparse(a), collapse = ""), ""), sep = " = ", collapse = ", "), ")"),
       treated = match(rownames(mm), rownames(data)),
       match = lapply(seq_len(nrow(idx)), function(i) { r <- idx[i, ]; r[!is.na(r)] }),
       weights = num(unname(w)),
       att = structure(sprintf("%.17g", unname(coef(fit)["treat"])), class = "json"),
       distance = if (is.null(m$distance)) NULL else num(unname(m$distance)))
}
out <- list(matchit = as.character(packageVersion("MatchIt")), r = R.version.string, cases = list())
reg <- read.csv("tests/reference/matchit_ties_register.csv", stringsAsFactors = FALSE)
rownames(reg) <- reg$id
f <- treat ~ gender + citizenship + education + province
add <- function(name, data, args) out$cases[[length(out$cases) + 1]] <<- case(name, data, args)
add("register_default", reg, list(formula = f, distance = "mahalanobis"))
add("register_replace", reg, list(formula = f, distance = "mahalanobis", replace = TRUE))
add("register_ratio2", reg, list(formula = f, distance = "mahalanobis", ratio = 2))
add("register_ratio3_replace", reg, list(formula = f, distance = "mahalanobis", ratio = 3, replace = TRUE))
add("register_caliper", reg, list(formula = f, distance = "glm", mahvars = ~ gender + citizenship + education + province, caliper = 0.05))
add("register_caliper_replace", reg, list(formula = f, distance = "glm", mahvars = ~ gender + citizenship + education + province, caliper = 0.05, replace = TRUE))
ll <- read.csv("tests/reference/lalonde.csv", stringsAsFactors = FALSE)
rownames(ll) <- ll$id
ll$y <- ll$re78
lf <- treat ~ age + educ + race + married + nodegree + re74 + re75
add("lalonde_default", ll, list(formula = lf, distance = "mahalanobis"))
add("lalonde_replace_ratio2", ll, list(formula = lf, distance = "mahalanobis", replace = TRUE, ratio = 2))
add("lalonde_caliper", ll, list(formula = lf, distance = "glm", mahvars = ~ age + educ + race + married + nodegree + re74 + re75, caliper = 0.2))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, json_verbatim = TRUE), "tests/reference/matchit_mahalanobis.json")
cat("wrote", length(out$cases), "cases\n")
