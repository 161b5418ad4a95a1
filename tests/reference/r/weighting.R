# Reference IPW and doubly robust ATT point estimates on MatchIt's lalonde, in plain R.
# Run from the repository root: Rscript tests/reference/r/weighting.R
library(jsonlite)
d <- read.csv("tests/reference/lalonde.csv", stringsAsFactors = FALSE); d$race <- factor(d$race)
e <- fitted(glm(treat ~ age + educ + race + married + nodegree + re74 + re75, data = d, family = binomial))
w <- ifelse(d$treat == 1, 1, e / (1 - e))
ipw <- mean(d$re78[d$treat == 1]) - weighted.mean(d$re78[d$treat == 0], w[d$treat == 0])
m0 <- lm(re78 ~ age + educ + race + married + nodegree + re74 + re75, data = d[d$treat == 0, ])
mu0 <- predict(m0, newdata = d)
r <- d$re78 - mu0
aipw <- mean(r[d$treat == 1]) - weighted.mean(r[d$treat == 0], w[d$treat == 0])
writeLines(toJSON(list(generator = paste(R.version.string, "stats::glm, weighted.mean, lm"), ipw = ipw, aipw = aipw), digits = NA, auto_unbox = TRUE), "tests/reference/weighting_lalonde.json")
