/** Types for parse-prometheus-text-format 1.1, which ships none: a CommonJS function from exposition text to metric families. */
declare module 'parse-prometheus-text-format' {
  namespace parsePrometheusTextFormat {
    /** One series. Values stay strings as written ('1', '+Inf', 'Nan'); histograms and summaries carry buckets/quantiles, count and sum instead of value. */
    interface Sample {
      value?: string;
      labels?: Record<string, string>;
      timestamp_ms?: string;
      buckets?: Record<string, string>;
      quantiles?: Record<string, string>;
      count?: string;
      sum?: string;
    }
    interface MetricFamily {
      name: string;
      help: string;
      type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
      metrics: Sample[];
    }
  }
  /** Throws on a line it cannot read. */
  function parsePrometheusTextFormat(text: string): parsePrometheusTextFormat.MetricFamily[];
  export = parsePrometheusTextFormat;
}
