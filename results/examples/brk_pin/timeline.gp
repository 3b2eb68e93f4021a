# timeline.gp — written by heaplab; redraw with: gnuplot timeline.gp
# (run it in the run directory: it reads samples.tsv beside it)
set encoding utf8
set datafile separator "\t"
set datafile missing "NA"
MiB = 1048576.0
set xlabel "time (s)"
set ylabel "MiB"
set yrange [0:*]
set offsets 0, graph 0.02, graph 0.12, 0
set grid lc rgb "#dddddd"
set key outside right top vertical Left reverse
set tmargin 7
set label 2 "brk_pin — glibc 2.36 malloc, GLIBC_TUNABLES=(none)" at screen 0.5, screen 0.965 center font ",14"
set label 1 "blocks=262144 size=4096 pin=1 trim=1 hold_ms=500 · linux 6.18.44-fc-v769, 2026-11-22T12:14:58Z" at screen 0.5, screen 0.925 center font ",10"
set link x2
set x2tics scale 0 rotate by 35 left font ",10" ("allocated" 2.656, "freed" 3.174, "trimmed" 3.735)
set arrow 10 from 2.656, graph 0 to 2.656, graph 1 nohead dt 2 lw 1.5 lc rgb "#777777" back
set arrow 11 from 3.174, graph 0 to 3.174, graph 1 nohead dt 2 lw 1.5 lc rgb "#777777" back
set arrow 12 from 3.735, graph 0 to 3.735, graph 1 nohead dt 2 lw 1.5 lc rgb "#777777" back
$inuse << EOD
2.656	1028.001	"in use 1.0 GiB"
3.174	0.001	"in use 1.1 KiB"
3.735	0.001	""
EOD
set terminal pngcairo size 1200,700 enhanced font "DejaVu Sans,11"
set termoption noenhanced
set output 'timeline.png'
plot 'samples.tsv' skip 1 using ($1/1000):($3/MiB) with lines lw 8 lc rgb "#d0d0d0" title "VSZ (address space)", \
     '' skip 1 using ($1/1000):($2/MiB) with lines lw 3 lc rgb "#c62828" title "RSS (resident)", \
     '' skip 1 using ($1/1000):($4/MiB) with lines lw 2 dt (6,4) lc rgb "#2e7d32" title "brk heap size", \
     $inuse using 1:2 with points pt 7 ps 1.6 lc rgb "#1565c0" title "in use (mallinfo2)", \
     $inuse using 1:2:3 with labels left offset 1,0.6 font ",10" tc rgb "#1565c0" notitle
set terminal svg size 1200,700 dynamic font "DejaVu Sans,11"
set termoption noenhanced
set output 'timeline.svg'
replot
set output
