# The R side of `npm run bench`: the same file through read.csv + matchit() + weighted lm,
# timed stage by stage. Usage: Rscript bench/matchit.R FILE.csv TREAT OUTCOME COV1,COV2,...
# Prints one JSON line. MatchIt's defaults: logistic glm distance, 1:1 nearest, no replacement.
suppressPackageStartupMessages(library(MatchIt))
args <- commandArgs(trailingOnly = TRUE)
file <- args[1]; treat <- args[2]; outcome <- args[3]; covs <- strsplit(args[4], ",")[[1]]
t0 <- proc.time()[["elapsed"]]
d <- read.csv(file, stringsAsFactors = TRUE)
t1 <- proc.time()[["elapsed"]]
f <- as.formula(paste(treat, "~", paste(covs, collapse = " + ")))
m <- matchit(f, data = d, method = "nearest")
t2 <- proc.time()[["elapsed"]]
md <- match.data(m)
fit <- lm(as.formula(paste(outcome, "~", treat)), data = md, weights = weights)
att <- coef(fit)[[2]]
t3 <- proc.time()[["elapsed"]]
s <- summary(m, un = FALSE)
t4 <- proc.time()[["elapsed"]]
cat(sprintf('{"read":%.3f,"matchit":%.3f,"effect":%.3f,"balance":%.3f,"total":%.3f,"att":%.10g,"matched":%d,"version":"MatchIt %s, %s"}\n',
  t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0, att, nrow(md), as.character(packageVersion("MatchIt")), R.version.string))
