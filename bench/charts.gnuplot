# Renders bench/results.csv (written by bench/bench.py) into two SVG charts.
set terminal svg size 800,480 dynamic font "sans,12" background "#ffffff"
set datafile separator whitespace
set key at graph 0.97, graph 0.55 right
set grid ytics
set logscale x 2
set xrange [0.8:160]
set xlabel "concurrent connections (wrk)"
set xtics ("1" 1, "8" 8, "32" 32, "128" 128)

set output "throughput.svg"
set title "Throughput: authenticated GET (ours vs atlassian-connect-express) and our public route"
set ylabel "requests per second"
set logscale y 10
plot "results.csv" using 1:3 with linespoints lw 2 pt 7 ps 0.8 title "ours, auth = jwt", \
     "results.csv" using 1:4 with linespoints lw 2 pt 7 ps 0.8 title "ours, auth = none", \
     "results.csv" using 1:2 with linespoints lw 2 pt 7 ps 0.8 title "ACE 11, authenticate()"

set output "latency-p99.svg"
set key default
set key top left
set title "p99 latency"
set ylabel "milliseconds (log scale)"
plot "results.csv" using 1:6 with linespoints lw 2 pt 7 ps 0.8 title "ours, auth = jwt", \
     "results.csv" using 1:7 with linespoints lw 2 pt 7 ps 0.8 title "ours, auth = none", \
     "results.csv" using 1:5 with linespoints lw 2 pt 7 ps 0.8 title "ACE 11, authenticate()"
