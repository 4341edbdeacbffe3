# Reference facts for tests/test_lmm_formula.py and tests/test_lmm_frame.py: R 4.2.2 + lme4 1.1-31.
# Column names, assign, term labels, dropped columns and rows, random-term labels, factor names
# and level labels of lme4's model frame, and R's deparse() of formulas.
# Run from the repository root: Rscript tests/reference/formula.R
suppressMessages(library(lme4))
out <- "tests/reference/formula"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
wcsv <- function(x, name) write.csv(x, file.path(out, name), row.names = FALSE, na = "NA")

# -- simulated data: ids that look like numbers, nested classes, a logical, missing values ----
set.seed(20261130)
n <- 160
school <- sprintf("%03d", rep(1:8, each = 20))
class <- rep(rep(c("b", "a", "c", "d"), each = 5), 8)
d <- data.frame(
  y = rnorm(n, 50, 10),
  x = rnorm(n),
  z = exp(rnorm(n, 0, 0.5)),
  sex = sample(c("F", "M"), n, replace = TRUE),
  grp3 = sample(c("low", "mid", "high"), n, replace = TRUE),
  flag = sample(c(TRUE, FALSE), n, replace = TRUE),
  num_id = sample(c(3L, 1L, 2L, 10L), n, replace = TRUE),
  school = school,
  class = class,
  stringsAsFactors = FALSE
)
d$x2 <- 2 * d$x
d$x3 <- d$x + 1
d$big <- rnorm(n) * 1e14  # scaled columns are not collinear
d$tiny <- d$x^2 * 1e-14
d$y[c(3, 17, 40)] <- NA
d$x[c(5, 60)] <- NA
d$x[d$school == "008"] <- NA  # school 008 loses all its rows when x is used
d$x2[is.na(d$x)] <- NA
d$x3[is.na(d$x)] <- NA
d$tiny[is.na(d$x)] <- NA
wcsv(d, "data.csv")
d$grp3f <- factor(d$grp3, levels = c("mid", "low", "high"))
wcsv(data.frame(level = levels(d$grp3f)), "grp3f_levels.csv")

formulas <- c(
  "y ~ x * sex + I(x^2) + (1 + x | school) + (1 | school:class)",
  "y ~ log(z) + scale(z) + factor(num_id) + (1 | school/class)",
  "y ~ sex * grp3 + flag + (z || school)",
  "y ~ 0 + sex + z + (0 + z | school) + (1 | class)",
  "y ~ x + x2 + sex + (1 | school)",
  "y ~ x + x2 + x3 + sex + (1 | school)",
  "y ~ z + big + tiny + (1 | school)",
  "y ~ sex:z + z + grp3:sex + (1 + z + x || school) + (1 | sex/school/class)",
  "y ~ z + I((z - 1) * 2/3) + sqrt(z) + exp(z) + log10(z) + abs(x) + log2(z) + log1p(z) + (1 | num_id)",
  "y ~ z + C(grp3f) + as.factor(flag) + sin(z) + cos(z) + (1 | flag:school)",
  "y ~ (sex + grp3)^2 + z %in% sex + (1 | class:school)",
  "y ~ -1 + z + (sex | num_id) + (0 + x | class)",
  "y ~ 0 + sex + grp3 + (1 | school)",
  "y ~ 0 + z:sex + grp3 + flag:sex + (1 | school)",
  "y ~ 0 + grp3:z + sex:grp3 + (1 + sex | school)",
  "y ~ sex * grp3 * flag + (0 + grp3 | school)"
)
fixed_rows <- list(); x_rows <- list(); re_rows <- list(); lev_rows <- list(); bar_rows <- list()
frame_rows <- list()
for (i in seq_along(formulas)) {
  f <- as.formula(formulas[i])
  msgs <- character(0)
  lf <- withCallingHandlers(
    lFormula(f, d),
    message = function(m) { msgs <<- c(msgs, conditionMessage(m)); invokeRestart("muffleMessage") }
  )
  X <- lf$X
  tl <- attr(terms(lme4::nobars(f)), "term.labels")
  fixed_rows[[i]] <- data.frame(
    formula = formulas[i], column = colnames(X), assign = attr(X, "assign"),
    stringsAsFactors = FALSE
  )
  dropped <- attr(X, "col.dropped")
  frame_rows[[i]] <- data.frame(
    formula = formulas[i], nobs = nrow(lf$fr), n_dropped = length(attr(lf$fr, "na.action")),
    term_labels = paste(tl, collapse = ";"),
    dropped = paste(names(dropped), collapse = ";"),
    message = if (length(msgs)) sub("\n$", "", paste(msgs, collapse = ";")) else "",
    stringsAsFactors = FALSE
  )
  xm <- as.data.frame(X, check.names = FALSE)
  x_rows[[i]] <- data.frame(formula = formulas[i], row = rownames(X), xm, check.names = FALSE)
  bars <- findbars(f)
  bar_rows[[i]] <- data.frame(formula = formulas[i], position = seq_along(bars),
                              label = vapply(bars, function(b) paste(deparse(b), collapse = " "), ""),
                              stringsAsFactors = FALSE)
  rt <- lf$reTrms
  fnames <- names(rt$flist)[attr(rt$flist, "assign")]
  for (k in seq_along(rt$cnms)) {
    fl <- rt$flist[[attr(rt$flist, "assign")[k]]]
    re_rows[[length(re_rows) + 1]] <- data.frame(
      formula = formulas[i], sorted_position = k, label = names(rt$Ztlist)[k], name = fnames[k],
      columns = paste(rt$cnms[[k]], collapse = ";"), nlevels = nlevels(fl),
      stringsAsFactors = FALSE
    )
  }
  for (nm in names(rt$flist)) {
    lev_rows[[length(lev_rows) + 1]] <- data.frame(
      formula = formulas[i], name = nm, position = seq_along(levels(rt$flist[[nm]])),
      level = levels(rt$flist[[nm]]), stringsAsFactors = FALSE
    )
  }
}
wcsv(do.call(rbind, fixed_rows), "x_columns.csv")
wcsv(do.call(rbind, frame_rows), "frames.csv")
wcsv(do.call(rbind, bar_rows), "findbars.csv")
wcsv(do.call(rbind, re_rows), "random_terms.csv")
wcsv(do.call(rbind, lev_rows), "levels.csv")
for (i in seq_along(formulas)) {
  xm <- x_rows[[i]]
  write.csv(xm[, -1], file.path(out, sprintf("X_%02d.csv", i)), row.names = FALSE)
}

# -- groups that lost all their rows -------------------------------------------------------
lost <- list()
for (i in seq_along(formulas)) {
  f <- as.formula(formulas[i])
  lf <- suppressMessages(lFormula(f, d))
  for (b in findbars(f)) {
    g <- b[[3]]
    nm <- paste(deparse(g), collapse = "")
    known <- d[stats::complete.cases(d[all.vars(g)]), , drop = FALSE]
    as_factors <- function(df) as.data.frame(lapply(df, function(v) factor(v)),
                                            stringsAsFactors = TRUE)
    before <- levels(factor(eval(g, as_factors(known[all.vars(g)]))))
    after <- levels(factor(eval(g, as_factors(lf$fr[all.vars(g)]))))
    gone <- setdiff(before, after)
    if (length(gone))
      lost[[length(lost) + 1]] <- data.frame(formula = formulas[i], name = nm, level = gone,
                                             stringsAsFactors = FALSE)
  }
}
lost <- unique(do.call(rbind, lost))
wcsv(lost, "lost_groups.csv")

# -- R's deparse of formulas ------------------------------------------------------------------
texts <- c(
  formulas,
  "math_score ~ intervention + ses + intervention*ses + (1 + intervention | classroom_id)",
  "MathAch ~ MEANSES + Sector + ses_c + MEANSES:ses_c + Sector:ses_c + (ses_c | School)",
  "y~x+(1|g)", "y ~ 0 + sex + x + (0 + x | g)", "y ~ sex:x + x + (x | g)",
  "y ~ x + (x || g) + (1 | g:h) + (1|h/k) + I(x^2) + log(x)",
  "y~I(x^2)+I((x-1)*2/3)+ log( x )+ I(x ^ -1) + I(-x) + I(2.50*x) + I(1e3*x)",
  "y ~ x + (1 | g) - 1 + -x + I(-x^2) + I(0.1*x) + I(1/3*x)+I(100000*x)+I(123456*x) + I(1e-5*x)",
  "outcome_with_a_long_name ~ predictor_one * predictor_two + predictor_three + (1 + predictor_one || cluster_identifier)",
  "y ~ `my var` + `x` + (1 | `a b`)",
  "a_rather_long_outcome_name ~ log(a_rather_long_predictor_name) + I(another_long_predictor^2) + scale(third_predictor_name) + (1 | school/class)"
)
dep <- list()
for (i in seq_along(texts)) {
  lines <- deparse(as.formula(texts[i]))
  dep[[i]] <- data.frame(formula = texts[i], line = seq_along(lines), text = lines,
                         stringsAsFactors = FALSE)
}
wcsv(do.call(rbind, dep), "deparse.csv")
