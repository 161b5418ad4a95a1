# The R side of `npm run bench`: the fastest ordinary R route for the same estimate on the same
# file — data.table::fread + MatchIt::matchit(method = "nearest") + weighted lm — timed stage
# by stage inside the process (the bench also times the whole process from outside).
#
# Usage: Rscript bench/matchit.R FILE TREAT OUTCOME COV1,COV2,... [--balance]
#   FILE may be .csv (read with data.table::fread) or .parquet (arrow::read_parquet, when the
#   arrow package is installed). Text columns become factors (dummy-coded by glm, as counterfact
#   dummy-codes them). --balance also times summary(m) (balance before and after matching).
# Prints one JSON line. MatchIt's defaults: logistic glm distance, 1:1 nearest, no replacement,
# largest propensity score first — the same design counterfact estimate uses by default.
suppressPackageStartupMessages({
  library(data.table)
  library(MatchIt)
})
args <- commandArgs(trailingOnly = TRUE)
file <- args[1]; treat <- args[2]; outcome <- args[3]; covs <- strsplit(args[4], ",")[[1]]
with_balance <- "--balance" %in% args
t0 <- proc.time()[["elapsed"]]
if (grepl("\\.parquet$", file, ignore.case = TRUE)) {
  d <- as.data.table(arrow::read_parquet(file))
} else {
  d <- fread(file, stringsAsFactors = TRUE, showProgress = FALSE)
}
t1 <- proc.time()[["elapsed"]]
f <- as.formula(paste(treat, "~", paste(covs, collapse = " + ")))
m <- matchit(f, data = d, method = "nearest")
t2 <- proc.time()[["elapsed"]]
md <- match.data(m)
fit <- lm(as.formula(paste(outcome, "~", treat)), data = md, weights = weights)
att <- coef(fit)[[2]]
se <- sqrt(diag(vcov(fit)))[[2]]
t3 <- proc.time()[["elapsed"]]
balance <- NA_real_
if (with_balance) {
  s <- summary(m)
  t4 <- proc.time()[["elapsed"]]
  balance <- t4 - t3
} else {
  t4 <- t3
}
cat(sprintf(paste0('{"read":%.3f,"matchit":%.3f,"effect":%.3f,"balance":%s,"total":%.3f,"att":%.10g,"lmSe":%.10g,',
                   '"matched":%d,"rows":%d,"matchitVersion":"%s","dataTableVersion":"%s","rVersion":"%s"}\n'),
  t1 - t0, t2 - t1, t3 - t2, if (is.na(balance)) "null" else sprintf("%.3f", balance), t4 - t0, att, se,
  nrow(md), nrow(d), as.character(packageVersion("MatchIt")), as.character(packageVersion("data.table")),
  R.version.string))
