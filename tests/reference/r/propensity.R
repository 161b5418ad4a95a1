# Reference fitted values for the propensity model on MatchIt's lalonde.
# Run: Rscript tests/reference/r/propensity.R  (from the repository root)
# Writes tests/reference/propensity_lalonde.json. R's glm() is the reference (stats package).
d <- read.csv("tests/reference/lalonde.csv", stringsAsFactors = FALSE)
d$race <- factor(d$race)
f <- treat ~ age + educ + race + married + nodegree + re74 + re75
logit <- glm(f, data = d, family = binomial(link = "logit"))
probit <- glm(f, data = d, family = binomial(link = "probit"))
num <- function(x) paste0("[", paste(sprintf("%.17g", x), collapse = ","), "]")
str <- function(x) paste0("[", paste0('"', x, '"', collapse = ","), "]")
fit_json <- function(m) paste0(
  '{"fitted":', num(fitted(m)), ',"linear":', num(m$linear.predictors),
  ',"coefficients":', num(coef(m)), ',"se":', num(summary(m)$coefficients[, 2]),
  ',"names":', str(names(coef(m))), ',"deviance":', sprintf("%.17g", deviance(m)),
  ',"iterations":', m$iter, '}')
cat(paste0('{"generator":"', R.version.string, ', stats::glm",',
  '"formula":"treat ~ age + educ + race + married + nodegree + re74 + re75",',
  '"logit":', fit_json(logit), ',"probit":', fit_json(probit), '}\n'),
  file = "tests/reference/propensity_lalonde.json")
