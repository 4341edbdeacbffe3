# R's format(), format.pval() and abbreviate() on cases that test hlmtutor/_rprint.py: rounding
# near ties (R rounds the decimal value, not a double product), a rounding that carries into a new
# digit, mixed widths, exponents of three digits, p-values below eps. Values are written with 17
# significant digits and formatted AS READ BACK, so R and Python format the same doubles.
# Run from the repository root:  Rscript tests/reference/rprint.R
# Writes tests/reference/rprint/format.csv, format_pval.csv and abbreviate.csv.
set.seed(20261206)
fixed <- list(
  c(99999.995), c(0.5, Inf, 298.1, 257.695, 924.0), c(-9999999.99, 2207.67, -497.349037),
  c(-0.21807953390197032, 99999.995, -0.099999), c(2.5e-16, -0.7755361589775805, -4715.6),
  c(1e300, -381.216), c(1e-300, -0.537, -933.451), c(0.15, 0.25, 0.35), c(-0.0, 1, 10, 100),
  c(123456789.5, 0.001), c(9.9999999, 99.999999), c(1e-5, 1e5), c(0.1 + 0.2, 1 / 3)
)
random <- lapply(1:60, function(i) {
  n <- sample(1:5, 1)
  round(runif(n, -1, 1) * 10^sample(-8:8, n, replace = TRUE), sample(0:12, 1))
})
cases <- c(fixed, random)
digits <- c(rep(7, length(fixed)), sample(c(1:10, 15), length(random), replace = TRUE))
nsmall <- c(rep(0, length(fixed)), sample(c(0, 0, 1, 3), length(random), replace = TRUE))
pack <- function(x) paste(sprintf("%.17g", x), collapse = ";")
back <- function(text) as.numeric(strsplit(text, ";")[[1]])
values <- vapply(cases, pack, "")
shown <- vapply(seq_along(cases), function(i) {
  paste(format(back(values[i]), digits = digits[i], nsmall = nsmall[i]), collapse = "|")
}, "")
write.csv(data.frame(values = values, digits = digits, nsmall = nsmall, r = shown),
          "tests/reference/rprint/format.csv", row.names = FALSE)

pvals <- c(list(c(0.5, 1e-20), c(0.04, 0.0004, 0.00004), c(1e-17), c(0.9, 0.05, 1e-10)),
           lapply(1:30, function(i) 10^-runif(sample(1:4, 1), 0, 20)))
pdigits <- c(3, 3, 4, 2, sample(2:5, 30, replace = TRUE))
pvalues <- vapply(pvals, pack, "")
pshown <- vapply(seq_along(pvals), function(i) {
  paste(format.pval(back(pvalues[i]), digits = pdigits[i]), collapse = "|")
}, "")
write.csv(data.frame(values = pvalues, digits = pdigits, r = pshown),
          "tests/reference/rprint/format_pval.csv", row.names = FALSE)

names <- c("(Intercept)", "ses_cwc", "intervention", "ses_cwc:intervention", "classroom_id",
           "Residual", "mathAchievement", "schoolSector", "Subject", "Days", "I(Days^2)")
minlength <- c(3, 4, 5, 6, 8, 10)
abbr <- do.call(rbind, lapply(minlength, function(m) {
  data.frame(minlength = m, names = paste(names, collapse = ";"),
             r = paste(abbreviate(names, m, named = FALSE), collapse = ";"))
}))
write.csv(abbr, "tests/reference/rprint/abbreviate.csv", row.names = FALSE)
