# The ATT of MatchIt 4.7.2's default nearest-neighbour matching on lalonde, as
# tests/matching/lalonde.test.ts checks it. Run from the repository root:
#   R_LIBS=/opt/r-peers Rscript tests/reference/r/lalonde_att.R     # prints 894.3674802703
suppressPackageStartupMessages(library(MatchIt))
stopifnot(packageVersion("MatchIt") == "4.7.2")
ll <- read.csv("tests/reference/lalonde.csv")
m <- matchit(treat ~ age + educ + race + married + nodegree + re74 + re75, data = ll)
cat(sprintf("%.10f\n", coef(lm(re78 ~ treat, data = ll, weights = m$weights))["treat"]))
