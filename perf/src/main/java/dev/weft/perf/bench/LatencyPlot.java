package dev.weft.perf.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * Draws latency-by-percentile curves as a standalone SVG, HdrHistogram style: the x axis is
 * {@code 1 / (1 - percentile)} on a log scale (so 90%, 99%, 99.9% ... are evenly spaced), the y
 * axis latency in milliseconds on a log scale. One curve per scenario, from the HdrHistogram
 * percentile iteration of its (repeat-merged) histogram.
 */
final class LatencyPlot {
  private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};
  private static final int WIDTH = 820;
  private static final int HEIGHT = 500;
  private static final int LEFT = 70;
  private static final int RIGHT = 170;
  private static final int TOP = 40;
  private static final int BOTTOM = 60;
  /** Rightmost percentile shown: 99.999%. */
  private static final double MAX_X_DECADES = 5;

  private LatencyPlot() {}

  /**
   * Renders the curves.
   *
   * @param title  plot title
   * @param curves scenario name → histogram of latencies in microseconds (empty ones are skipped)
   */
  static String render(String title, Map<String, Histogram> curves) {
    double minMs = Double.MAX_VALUE;
    double maxMs = 0;
    List<String> names = new ArrayList<>();
    List<List<double[]>> points = new ArrayList<>();
    for (Map.Entry<String, Histogram> e : curves.entrySet()) {
      Histogram h = e.getValue();
      if (h.getTotalCount() == 0) {
        continue;
      }
      List<double[]> pts = new ArrayList<>();
      for (HistogramIterationValue v : h.percentiles(5)) {
        double p = v.getPercentileLevelIteratedTo() / 100.0;
        double x = p >= 1 ? MAX_X_DECADES : Math.min(MAX_X_DECADES, Math.log10(1 / (1 - p)));
        double ms = Math.max(0.001, h.highestEquivalentValue(v.getValueIteratedTo()) / 1000.0);
        pts.add(new double[] {x, ms});
        minMs = Math.min(minMs, ms);
        maxMs = Math.max(maxMs, ms);
      }
      names.add(e.getKey());
      points.add(pts);
    }
    StringBuilder svg = new StringBuilder(16_384);
    svg.append(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
            + "font-family=\"sans-serif\" font-size=\"12\">%n", WIDTH, HEIGHT, WIDTH, HEIGHT));
    svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" font-size=\"15\" font-weight=\"bold\">%s</text>%n",
        LEFT, escape(title)));
    if (names.isEmpty()) {
      svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">no data</text>%n", LEFT, HEIGHT / 2));
      return svg.append("</svg>\n").toString();
    }
    double yLo = Math.floor(Math.log10(minMs));
    double yHi = Math.ceil(Math.log10(maxMs));
    if (yHi <= yLo) {
      yHi = yLo + 1;
    }
    int plotW = WIDTH - LEFT - RIGHT;
    int plotH = HEIGHT - TOP - BOTTOM;
    // Axes, grid and labels.
    String[] xLabels = {"0%", "90%", "99%", "99.9%", "99.99%", "99.999%"};
    for (int d = 0; d <= MAX_X_DECADES; d++) {
      double x = LEFT + plotW * d / MAX_X_DECADES;
      svg.append(String.format(Locale.ROOT,
          "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>%n", x, TOP, x, TOP + plotH));
      svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
          x, TOP + plotH + 18, xLabels[d]));
    }
    for (int d = (int) yLo; d <= (int) yHi; d++) {
      double y = TOP + plotH - plotH * (d - yLo) / (yHi - yLo);
      svg.append(String.format(Locale.ROOT,
          "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>%n", LEFT, y, LEFT + plotW, y));
      svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n",
          LEFT - 6, y + 4, msLabel(Math.pow(10, d))));
    }
    svg.append(String.format(Locale.ROOT,
        "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333\"/>%n", LEFT, TOP, plotW, plotH));
    svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">percentile</text>%n",
        LEFT + plotW / 2, HEIGHT - 18));
    svg.append(String.format(Locale.ROOT,
        "<text x=\"16\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 16 %d)\">latency (ms, log)</text>%n",
        TOP + plotH / 2, TOP + plotH / 2));
    for (int i = 0; i < names.size(); i++) {
      String color = COLORS[i % COLORS.length];
      StringBuilder path = new StringBuilder();
      for (double[] p : points.get(i)) {
        double x = LEFT + plotW * p[0] / MAX_X_DECADES;
        double y = TOP + plotH - plotH * (Math.log10(p[1]) - yLo) / (yHi - yLo);
        path.append(path.isEmpty() ? "M" : " L").append(String.format(Locale.ROOT, "%.1f %.1f", x, y));
      }
      svg.append(String.format(Locale.ROOT,
          "<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>%n", path, color));
      int ly = TOP + 10 + i * 20;
      svg.append(String.format(Locale.ROOT,
          "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"/>%n",
          LEFT + plotW + 12, ly, LEFT + plotW + 32, ly, color));
      svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n",
          LEFT + plotW + 38, ly + 4, escape(names.get(i))));
    }
    return svg.append("</svg>\n").toString();
  }

  private static String msLabel(double ms) {
    return ms >= 1 ? String.format(Locale.ROOT, "%.0f ms", ms) : String.format(Locale.ROOT, "%s ms",
        Json.number(ms));
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
