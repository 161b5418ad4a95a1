# Reference balance statistics: MatchIt summary() on lalonde, nearest with replacement, ratio 2.
# Run from the repository root: R_LIBS=/opt/r-peers Rscript tests/reference/r/balance.R
# Writes tests/reference/balance_lalonde.json (MatchIt 4.7.2: R_LIBS=/opt/r-peers; the match weights are
# exported too, so the test feeds R's own weights through assessBalance and tie-breaking
# differences between MatchIt versions do not matter).
suppressPackageStartupMessages(library(MatchIt))
d <- read.csv("tests/reference/lalonde.csv", stringsAsFactors = FALSE)
d$race <- factor(d$race)
m <- matchit(treat ~ age + educ + race + married + nodegree + re74 + re75, data = d,
             method = "nearest", replace = TRUE, ratio = 2)
s <- summary(m, un = TRUE)
num <- function(x) paste0("[", paste(ifelse(is.na(x), "null", sprintf("%.17g", x)), collapse = ","), "]")
tab <- function(x) paste0('{"rows":[', paste0('"', rownames(x), '"', collapse = ","), '],',
  '"meanTreated":', num(x[, "Means Treated"]), ',"meanControl":', num(x[, "Means Control"]),
  ',"smd":', num(x[, "Std. Mean Diff."]), ',"varRatio":', num(x[, "Var. Ratio"]),
  ',"ecdfMean":', num(x[, "eCDF Mean"]), ',"ecdfMax":', num(x[, "eCDF Max"]), '}')
cat(paste0('{"generator":"', R.version.string, ', MatchIt ', packageVersion("MatchIt"),
  ' summary(matchit(..., method = \\"nearest\\", replace = TRUE, ratio = 2), un = TRUE)",',
  '"weights":', num(m$weights), ',"distance":', num(m$distance),
  ',"before":', tab(s$sum.all), ',"after":', tab(s$sum.matched), '}\n'),
  file = "tests/reference/balance_lalonde.json")
