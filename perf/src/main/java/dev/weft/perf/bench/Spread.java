package dev.weft.perf.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Median, minimum and maximum of one figure over the repeats (NaN values, such as CPU per request
 * of a phase with no responses, are left out).
 *
 * @param median median; the mean of the middle two for an even count
 * @param n      number of values
 */
record Spread(double median, double min, double max, int n) {

  static Spread of(List<Double> values) {
    List<Double> v = new ArrayList<>();
    for (Double d : values) {
      if (d != null && !d.isNaN()) {
        v.add(d);
      }
    }
    if (v.isEmpty()) {
      return new Spread(Double.NaN, Double.NaN, Double.NaN, 0);
    }
    Collections.sort(v);
    int n = v.size();
    double median = n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    return new Spread(median, v.getFirst(), v.getLast(), n);
  }

  /** Figure name → spread over the given runs' figures, in the order figures first appear. */
  static Map<String, Spread> over(List<Map<String, Double>> runs) {
    Map<String, List<Double>> byFigure = new LinkedHashMap<>();
    for (Map<String, Double> run : runs) {
      run.forEach((k, v) -> byFigure.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
    }
    Map<String, Spread> out = new LinkedHashMap<>();
    byFigure.forEach((k, v) -> out.put(k, of(v)));
    return out;
  }

  Map<String, Object> toJsonValue() {
    Map<String, Object> j = new LinkedHashMap<>();
    j.put("median", median);
    j.put("min", min);
    j.put("max", max);
    j.put("n", n);
    return j;
  }
}
