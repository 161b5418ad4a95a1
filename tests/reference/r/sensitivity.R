# Reference Rosenbaum bounds for binary outcomes in matched pairs, written out in plain R from
# Rosenbaum (2002) ch. 4 (rbounds' binarysens computes the same: upper bound = P(X >= T),
# X ~ Bin(D, Gamma / (1 + Gamma))). Run: Rscript tests/reference/r/sensitivity.R
library(jsonlite)
cases <- list(c(60, 30), c(130, 100), c(4000, 3500))
gammas <- c(1, 1.1, 1.2, 1.5, 2, 3)
out <- lapply(cases, function(x) {
  D <- sum(x); T <- max(x)
  list(discordantTreated = x[1], discordantControl = x[2], gammas = gammas,
       pUpper = sapply(gammas, function(g) pbinom(T - 1, D, g / (1 + g), lower.tail = FALSE)),
       pLower = sapply(gammas, function(g) pbinom(T - 1, D, 1 / (1 + g), lower.tail = FALSE)))
})
writeLines(toJSON(list(generator = paste(R.version.string, "stats::pbinom"), cases = out), digits = NA, auto_unbox = TRUE), "tests/reference/sensitivity.json")
