# Prints each failed test of TRX reports with the first lines of its message (test.sh puts them at the end of its
# summary: what CI shows of a run is its tail). Usage: awk -v max=14 -f trx-failures.awk *.trx
# One record per <UnitTestResult> element (passed ones are self-closing, so the split is on the opening tag).
BEGIN { RS = "<UnitTestResult "; max = max ? max : 14 }
FNR > 1 {
  head = $0; sub(/>.*/, "", head)
  if (head !~ /outcome="Failed"/) next
  name = head; sub(/.*testName="/, "", name); sub(/".*/, "", name)
  print "FAILED " name
  msg = $0
  sub(/<\/UnitTestResult>.*/, "", msg)
  if (index(msg, "<Message>") == 0) next
  sub(/.*<Message>/, "", msg); sub(/<\/Message>.*/, "", msg)
  gsub(/&lt;/, "<", msg); gsub(/&gt;/, ">", msg); gsub(/&quot;/, "\"", msg); gsub(/&apos;/, "'", msg)
  gsub(/&#xD;/, "", msg); gsub(/&#xA;/, "\n", msg); gsub(/&amp;/, "\\&", msg)
  n = split(msg, lines, "\n")
  for (i = 1; i <= n && i <= max; i++) print "    " substr(lines[i], 1, 240)
  if (n > max) print "    ... (" n - max " more lines in the TRX)"
}
