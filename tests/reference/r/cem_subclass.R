# Reference coarsened exact matching and propensity-score subclassification (ATT) from
# MatchIt 4.7.2 matchit(method = "cem") and matchit(method = "subclass"), on MatchIt's lalonde
# (tests/reference/lalonde.csv) and on a seeded synthetic all-categorical data set generated here.
# Needs MatchIt 4.7.2 (not Debian's 4.5.1) on the library path:
#   R_LIBS=<library with MatchIt 4.7.2> Rscript tests/reference/r/cem_subclass.R
# Run from the repository root. Writes tests/reference/cem_subclass.json:
#   lalonde.ps            fitted probabilities of glm(treat ~ age + educ + race + married +
#                         nodegree + re74 + re75, binomial) (the distance matchit() uses)
#   lalonde.lp            the linear predictor (link = "linear.logit")
#   synthetic.data        the synthetic columns (region, sector, edu, sex, treat, y), ps (glm on
#                         all four) and ps_coarse (glm(treat ~ region + sex), 10 distinct values)
#   <data>.cem.<case>     matchit(method = "cem", ...) for the arguments in `args`
#   <data>.subclass.<case> matchit(method = "subclass", ...) for the arguments in `args`
# Each case holds: subclass (MatchIt's labels, 0 = NA), weights (matchit()$weights), att
# (weighted mean of the outcome among treated minus among controls, with those weights),
# nsub (number of subclasses), and for subclass q_cut and raw (findInterval of the distance
# on q_cut before MatchIt moves units to fill short subclasses, so tests can see it happened).
suppressPackageStartupMessages({ library(MatchIt); library(jsonlite) })
stopifnot(packageVersion("MatchIt") == "4.7.2")

# Doubles at full precision (%.17g); jsonlite's own formatting stops at 15 digits.
num <- function(x) structure(paste0("[", paste(sprintf("%.17g", x), collapse = ","), "]"), class = "json")
num1 <- function(x) structure(sprintf("%.17g", x), class = "json")
int <- function(x) { x <- as.integer(x); x[is.na(x)] <- 0L; x }

att_of <- function(w, treat, y) {
  weighted.mean(y[treat == 1], w[treat == 1]) - weighted.mean(y[treat == 0], w[treat == 0])
}

run_cem <- function(f, d, y, ...) {
  m <- matchit(f, data = d, method = "cem", estimand = "ATT", ...)
  list(args = deparse(list(...)), subclass = int(m$subclass), nsub = nlevels(m$subclass),
       weights = num(m$weights), att = num1(att_of(m$weights, d$treat, y)))
}

# MatchIt 4.7.2 stops with "`cutpoints` must be a named list" when no covariate is numeric and
# cutpoints is left at its default, so the all-categorical cases pass a named entry for a text
# covariate, which MatchIt ignores with a warning ("not numeric ... will not be applied").
run_cem_categorical <- function(f, d, y, ...) {
  m <- suppressWarnings(matchit(f, data = d, method = "cem", estimand = "ATT",
                                cutpoints = list(sex = 0), ...))
  list(args = deparse(list(...)), subclass = int(m$subclass), nsub = nlevels(m$subclass),
       weights = num(m$weights), att = num1(att_of(m$weights, d$treat, y)))
}

run_subclass <- function(f, d, y, subclass = 6, min.n = 1, ...) {
  m <- suppressWarnings(matchit(f, data = d, method = "subclass", estimand = "ATT",
                                subclass = subclass, min.n = min.n, ...))
  raw <- findInterval(m$distance, m$q.cut, all.inside = TRUE)
  raw[m$discarded] <- 0L
  list(args = deparse(list(subclass = subclass, min.n = min.n, ...)), subclass = int(m$subclass),
       nsub = nlevels(m$subclass), q_cut = num(unname(m$q.cut)), raw = raw,
       weights = num(m$weights), att = num1(att_of(m$weights, d$treat, y)),
       discarded = as.integer(m$discarded))
}

# ---- lalonde ----
d <- read.csv("tests/reference/lalonde.csv", stringsAsFactors = FALSE)
d$race <- factor(d$race)
f <- treat ~ age + educ + race + married + nodegree + re74 + re75
fit <- glm(f, data = d, family = binomial)

lalonde <- list(
  ps = num(unname(fitted(fit))),
  lp = num(unname(fit$linear.predictors)),
  cem = list(
    default = run_cem(f, d, d$re78),
    doc_example = run_cem(treat ~ age + race + married + educ, d, d$re78,
                          cutpoints = list(educ = 5),
                          grouping = list(race = list(c("white", "hispan"), c("black")))),
    mixed = run_cem(f, d, d$re78,
                    cutpoints = list(age = "scott", educ = c(8.5, 11.5), re74 = "q4", re75 = 3,
                                     married = 0, nodegree = 1),
                    grouping = list(race = list(c("hispan", "white")))),
    all_4 = run_cem(f, d, d$re78, cutpoints = 4)
  ),
  subclass = list(
    default = run_subclass(f, d, d$re78),
    k10 = run_subclass(f, d, d$re78, subclass = 10),
    k30_min3 = run_subclass(f, d, d$re78, subclass = 30, min.n = 3),
    k30_min0 = run_subclass(f, d, d$re78, subclass = 30, min.n = 0),
    quantiles = run_subclass(f, d, d$re78, subclass = c(0.2, 0.5, 0.8)),
    linear_logit = run_subclass(f, d, d$re78, subclass = 5, link = "linear.logit"),
    discard_both = run_subclass(f, d, d$re78, subclass = 6, discard = "both")
  )
)

# ---- synthetic, all categorical ----
set.seed(20240611)
n <- 400
region <- sample(c("north", "south", "east", "west", "centre"), n, replace = TRUE, prob = c(.3, .25, .2, .15, .1))
sector <- sample(c("agri", "industry", "services", "public"), n, replace = TRUE)
edu <- sample(c("none", "low", "mid", "high"), n, replace = TRUE, prob = c(.1, .3, .4, .2))
sex <- sample(c("F", "M"), n, replace = TRUE)
lin <- -1.2 + 0.8 * (region == "south") - 0.6 * (region == "centre") + 0.7 * (edu == "high") -
  0.5 * (edu == "none") + 0.4 * (sector == "services") + 0.3 * (sex == "F")
treat <- rbinom(n, 1, plogis(lin))
y <- round(1000 + 300 * treat + 200 * (edu == "high") - 150 * (region == "centre") + rnorm(n, 0, 250), 2)
s <- data.frame(region, sector, edu, sex, treat, y, stringsAsFactors = FALSE)
fs <- treat ~ region + sector + edu + sex
sfit <- glm(fs, data = transform(s, region = factor(region), sector = factor(sector),
                                 edu = factor(edu), sex = factor(sex)), family = binomial)

synthetic <- list(
  data = list(region = region, sector = sector, edu = edu, sex = sex, treat = treat, y = num(y),
              ps = num(unname(fitted(sfit))),
              ps_coarse = num(unname(fitted(glm(treat ~ region + sex, data = s, family = binomial))))),
  cem = list(
    default = run_cem_categorical(fs, s, s$y),
    grouped = run_cem_categorical(fs, s, s$y, grouping = list(region = list(c("north", "east"), c("south", "west", "centre")),
                                                  edu = list(c("none", "low")))),
    three = run_cem_categorical(treat ~ region + edu + sex, s, s$y)
  ),
  subclass = list(
    default = run_subclass(fs, s, s$y),
    k15 = run_subclass(fs, s, s$y, subclass = 15),
    k15_min0 = run_subclass(fs, s, s$y, subclass = 15, min.n = 0),
    # A coarse score (10 distinct values): ties in the quantiles, fewer subclasses than asked.
    coarse_k8 = run_subclass(treat ~ region + sex, s, s$y, subclass = 8),
    coarse_k8_min0 = run_subclass(treat ~ region + sex, s, s$y, subclass = 8, min.n = 0)
  )
)

out <- list(generator = paste(R.version.string, "MatchIt", as.character(packageVersion("MatchIt")),
                              "matchit(method = \"cem\" / \"subclass\")"),
            lalonde = lalonde, synthetic = synthetic)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, json_verbatim = TRUE), "tests/reference/cem_subclass.json")
