# Helpers the book's R scripts (book/data/*.R) share. Every script is run from the repository
# root and sources this file from there, after tests/reference/_write.R (for num17):
#
#   source("tests/reference/_write.R")
#   source("book/data/_helpers.R")

# Append what `expr` prints to the script's .Rout file (the global `rout`), headed "#### <name>".
section <- function(name, expr) {
  printed <- capture.output(expr)
  cat(paste0("#### ", name), printed, "", file = rout, sep = "\n", append = TRUE)
}

# Every estimate of an lmerTest fit, one row each (columns model, kind, parameter, estimate, se,
# df): the fixed effects with their SE and Satterthwaite df, the rows of as.data.frame(VarCorr(m))
# (kind "vcov": variances and covariances; "sdcor": SDs and correlations), labelled
# "grp|var1|var2", and the REML criterion (kind "fit").
rows_of <- function(m, model) {
  coefs <- summary(m)$coefficients
  fixef_rows <- data.frame(model = model, kind = "fixef", parameter = rownames(coefs),
                           estimate = coefs[, "Estimate"], se = coefs[, "Std. Error"],
                           df = coefs[, "df"])
  vc <- as.data.frame(VarCorr(m))
  label <- paste(vc$grp, ifelse(is.na(vc$var1), "", vc$var1), ifelse(is.na(vc$var2), "", vc$var2),
                 sep = "|")
  vc_rows <- rbind(
    data.frame(model = model, kind = "vcov", parameter = label, estimate = vc$vcov, se = NA, df = NA),
    data.frame(model = model, kind = "sdcor", parameter = label, estimate = vc$sdcor, se = NA,
               df = NA)
  )
  crit <- data.frame(model = model, kind = "fit", parameter = "REML criterion",
                     estimate = unname(REMLcrit(m)), se = NA, df = NA)
  rbind(fixef_rows, vc_rows, crit)
}
