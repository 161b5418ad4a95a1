# Reference matched data sets on MatchIt's lalonde (tests/reference/lalonde.csv), MatchIt 4.7.2.
# Run from the repository root with MatchIt 4.7.2 first on the library path:
#   R_LIBS=<library with MatchIt 4.7.2> Rscript tests/reference/r/matched_data.R
# Writes tests/reference/matched_data_lalonde.json:
#   distance        m$distance of the default fit (glm logit scores), one per row of the data
#   nearest         matchit(f, method = "nearest") then match_data(m, data = d):
#                   row (1-based data row), weights, subclass, distance of each output row
#   replace_ratio2  matchit(f, method = "nearest", replace = TRUE, ratio = 2) then
#                   get_matches(m, data = d, id = "row"): row, subclass, weights, treat, distance
#                   of each output row in get_matches' order; match_data_columns: the columns
#                   match_data() gives for the same fit (no subclass after matching with replacement)
#   subclass        matchit(f, method = "subclass") (6 subclasses, ATT) then match_data(m, data = d):
#                   row, subclass, weights, distance of each output row
# lalonde.csv already has an `id` column, hence get_matches(id = "row").
suppressPackageStartupMessages({ library(MatchIt); library(jsonlite) })
stopifnot(packageVersion("MatchIt") == "4.7.2")
d <- read.csv("tests/reference/lalonde.csv", stringsAsFactors = FALSE)
d$race <- factor(d$race)
f <- treat ~ age + educ + race + married + nodegree + re74 + re75
# Doubles at full precision (%.17g); jsonlite's own formatting stops at 15 digits.
num <- function(x) structure(paste0("[", paste(sprintf("%.17g", x), collapse = ","), "]"), class = "json")
m1 <- matchit(f, data = d, method = "nearest")
md1 <- match_data(m1, data = d)
m2 <- matchit(f, data = d, method = "nearest", replace = TRUE, ratio = 2)
gm2 <- get_matches(m2, data = d, id = "row")
md2 <- match_data(m2, data = d)
m3 <- matchit(f, data = d, method = "subclass")
md3 <- match_data(m3, data = d)
out <- list(
  generator = paste0(R.version.string, ", MatchIt ", packageVersion("MatchIt")),
  formula = "treat ~ age + educ + race + married + nodegree + re74 + re75",
  distance = num(unname(m1$distance)),
  nearest = list(
    call = "match_data(matchit(f, data = d, method = 'nearest'), data = d)",
    columns = names(md1),
    row = as.integer(rownames(md1)),
    weights = num(md1$weights),
    subclass = as.integer(as.character(md1$subclass)),
    distance = num(md1$distance)
  ),
  replace_ratio2 = list(
    call = "get_matches(matchit(f, data = d, method = 'nearest', replace = TRUE, ratio = 2), data = d, id = 'row')",
    columns = names(gm2),
    row = as.integer(gm2$row),
    subclass = as.integer(as.character(gm2$subclass)),
    weights = num(gm2$weights),
    treat = gm2$treat,
    distance = num(gm2$distance),
    match_data_columns = names(md2),
    match_data_row = as.integer(rownames(md2)),
    match_data_weights = num(md2$weights)
  ),
  subclass = list(
    call = "match_data(matchit(f, data = d, method = 'subclass'), data = d)",
    columns = names(md3),
    row = as.integer(rownames(md3)),
    subclass = as.integer(as.character(md3$subclass)),
    weights = num(md3$weights),
    distance = num(md3$distance)
  )
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, json_verbatim = TRUE), "tests/reference/matched_data_lalonde.json")
