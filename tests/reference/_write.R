# How the reference scripts write data and fits (and catch R's messages), shared by
# tests/reference/*.R and the book's R scripts (book/data/*.R). Every script is run from the
# repository root, so each sources this file by its path from there:
#
#   out <- "tests/reference/engine"        # the folder the writing functions write to
#   source("tests/reference/_write.R")
#
# wcsv(), write_data(), write_full() and dump_tables() look `out` up when they are called (a
# global of the sourcing script), so a script may set it before or after sourcing this file;
# num17() and catch() need no `out`. Nothing here writes a file when sourced.

# Numbers as text with 17 significant digits, always: the decimal is then within a quarter of a
# unit in the last place of the double, so R's own reader (not correctly rounded: it misreads some
# 15- and 16-digit strings) and a correctly rounding one (Python's) both read back the same double.
# The round trip is checked here, in R.
num17 <- function(x) {
  x <- as.double(x)
  res <- ifelse(is.na(x), NA_character_, sprintf("%.17g", x))
  stopifnot(all(as.numeric(res) == x, na.rm = TRUE))
  res
}

# Write a table to file.path(out, name): doubles with num17(), factors as their labels, text
# quoted, NA as an empty field, no row names, column names as they are (check.names = FALSE).
wcsv <- function(df, name) {
  df <- as.data.frame(df, stringsAsFactors = FALSE, check.names = FALSE)
  text <- which(vapply(df, function(v) is.character(v) || is.factor(v), logical(1)))
  for (j in seq_along(df)) {
    if (is.factor(df[[j]])) df[[j]] <- as.character(df[[j]])
    if (is.double(df[[j]])) df[[j]] <- num17(df[[j]])
  }
  write.csv(df, file.path(out, name), row.names = FALSE, na = "",
            quote = if (length(text)) unname(text) else FALSE)
}

# Write a data set, read it back, check the round trip (the same names, rows, numbers, missing
# values and text), and return what was read: the models are fitted to that, the very numbers
# Python reads. `factors`: columns made factors with factor() (R's default level order), as a
# reader of the CSV gets them. `text`: columns read back as text even where they look like numbers.
write_data <- function(d, file, factors = character(), text = character()) {
  wcsv(d, file)
  classes <- ifelse(names(d) %in% text, "character", NA)
  back <- read.csv(file.path(out, file), stringsAsFactors = FALSE, colClasses = classes)
  stopifnot(identical(names(back), names(d)), nrow(back) == nrow(d))
  for (v in names(d)) {
    a <- d[[v]]
    b <- back[[v]]
    if (is.numeric(a) || is.logical(a)) {
      stopifnot(identical(is.na(a), is.na(b)), all(as.double(a) == as.double(b), na.rm = TRUE))
    } else {
      stopifnot(identical(as.character(a), as.character(b)))
    }
  }
  for (v in factors) back[[v]] <- factor(back[[v]])
  back
}

# The format of describe.R and foundation.R: every number (integers too) with 17 significant
# digits, NA written as "NA", text quoted (write.csv's default).
write_full <- function(df, name) {
  df <- as.data.frame(df)
  for (col in names(df)) {
    if (is.numeric(df[[col]])) {
      df[[col]] <- ifelse(is.na(df[[col]]), NA, sprintf("%.17g", df[[col]]))
    }
  }
  write.csv(df, file.path(out, name), row.names = FALSE, na = "NA")
}

# Write the tables every lme4 fit `m` (lmer or glmer) has to file.path(out, paste0(name, suffix)):
# _fixef.csv (summary's coefficients), _vc.csv (as.data.frame(VarCorr(m))), _vcov.csv (when there
# are fixed effects), _theta.csv, _ngrps.csv, _ranef.csv (conditional modes and SDs) and
# _summary.txt (what print(summary(m)) prints).
dump_tables <- function(m, name) {
  p <- function(suffix) paste0(name, suffix)
  s <- summary(m)
  coefs <- as.data.frame(s$coefficients)
  wcsv(data.frame(term = rownames(coefs), coefs, check.names = FALSE), p("_fixef.csv"))
  wcsv(as.data.frame(VarCorr(m)), p("_vc.csv"))
  V <- as.matrix(vcov(m))
  if (length(V)) wcsv(data.frame(term = rownames(V), V, check.names = FALSE), p("_vcov.csv"))
  th <- getME(m, "theta")
  wcsv(data.frame(name = names(th), theta = unname(th)), p("_theta.csv"))
  ng <- ngrps(m)
  wcsv(data.frame(factor = names(ng), levels = as.integer(ng)), p("_ngrps.csv"))
  re <- as.data.frame(ranef(m, condVar = TRUE))
  wcsv(data.frame(grp = re$grpvar, level = as.character(re$grp), term = as.character(re$term),
                  value = re$condval, condsd = re$condsd), p("_ranef.csv"))
  writeLines(capture.output(print(s)), file.path(out, p("_summary.txt")))
}

# Evaluate expr, collecting every message and warning it raises (one string each) instead of
# printing them: list(value, messages).
catch <- function(expr) {
  msgs <- character()
  value <- withCallingHandlers(
    expr,
    message = function(c) {
      msgs <<- c(msgs, sub("\n$", "", conditionMessage(c)))
      invokeRestart("muffleMessage")
    },
    warning = function(c) {
      msgs <<- c(msgs, conditionMessage(c))
      invokeRestart("muffleWarning")
    }
  )
  list(value = value, messages = msgs)
}
