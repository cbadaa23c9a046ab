package dev.vantage.perf.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleFunction;

/**
 * A minimal SVG line chart: one or more panels stacked vertically, each with linear axes (or a caller-labelled
 * x axis), grid, titled axes and a legend. No dependencies; single-threaded builder.
 */
public final class SvgChart {

    private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
        "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
    private static final int WIDTH = 960;
    private static final int PANEL_HEIGHT = 420;
    private static final int LEFT = 80;
    private static final int RIGHT = 30;
    private static final int TOP = 50;
    private static final int BOTTOM = 60;

    /** One line: x and y values of equal length. */
    public record Series(String label, double[] x, double[] y) {
    }

    /**
     * One panel. {@code xTicks} are the x positions of ticks labelled by {@code xTickLabel}; {@code xMax} and
     * {@code yMax} bound the axes (minimums are 0).
     */
    public record Panel(String title, String xTitle, String yTitle, List<Series> series, double xMax, double[] xTicks,
                        DoubleFunction<String> xTickLabel, double yMax) {
    }

    private final List<Panel> panels = new ArrayList<>();

    public SvgChart add(Panel panel) {
        panels.add(panel);
        return this;
    }

    /** Ticks at 1, 2 or 5 times a power of ten, about {@code count} of them from 0 to at least {@code max}. */
    public static double[] niceTicks(double max, int count) {
        double span = max <= 0 ? 1 : max;
        double raw = span / count;
        double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = raw / magnitude < 1.5 ? magnitude : raw / magnitude < 3.5 ? 2 * magnitude
                : raw / magnitude < 7.5 ? 5 * magnitude : 10 * magnitude;
        int n = (int) Math.ceil(span / step - 1e-9);
        double[] ticks = new double[n + 1];
        for (int i = 0; i <= n; i++) {
            ticks[i] = i * step;
        }
        return ticks;
    }

    public static String number(double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1e12) {
            return Long.toString((long) value);
        }
        return String.format(Locale.ROOT, Math.abs(value) < 1 ? "%.3g" : "%.2f", value).replaceAll("\\.?0+$", "");
    }

    public String render() {
        int height = panels.size() * PANEL_HEIGHT;
        StringBuilder svg = new StringBuilder(16_384);
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", WIDTH, height, WIDTH, height));
        svg.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", WIDTH, height));
        for (int p = 0; p < panels.size(); p++) {
            renderPanel(svg, panels.get(p), p * PANEL_HEIGHT);
        }
        svg.append("</svg>\n");
        return svg.toString();
    }

    private static void renderPanel(StringBuilder svg, Panel panel, int offsetY) {
        double plotWidth = WIDTH - LEFT - RIGHT;
        double plotHeight = PANEL_HEIGHT - TOP - BOTTOM;
        double top = offsetY + TOP;
        double[] yTicks = niceTicks(panel.yMax(), 6);
        double yMax = yTicks[yTicks.length - 1];
        double xMax = panel.xMax() <= 0 ? 1 : panel.xMax();
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" font-size=\"15\" font-weight=\"bold\">%s</text>%n",
                LEFT, top - 20, escape(panel.title())));
        for (double tick : yTicks) {
            double y = top + plotHeight - tick / yMax * plotHeight;
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                    + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", LEFT, y, LEFT + plotWidth, y,
                    LEFT - 6, y + 4, number(tick)));
        }
        for (double tick : panel.xTicks()) {
            if (tick > xMax + 1e-9) {
                continue;
            }
            double x = LEFT + tick / xMax * plotWidth;
            svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                    + "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>%n", x, top, x, top + plotHeight,
                    x, top + plotHeight + 18, escape(panel.xTickLabel().apply(tick))));
        }
        svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\""
                + " stroke=\"#333\"/>%n", LEFT, top, plotWidth, plotHeight));
        svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>%n",
                LEFT + plotWidth / 2, top + plotHeight + 42, escape(panel.xTitle())));
        svg.append(String.format(Locale.ROOT, "<text transform=\"translate(%d,%.1f) rotate(-90)\" text-anchor=\"middle\">"
                + "%s</text>%n", 20, top + plotHeight / 2, escape(panel.yTitle())));
        for (int s = 0; s < panel.series().size(); s++) {
            Series series = panel.series().get(s);
            String color = COLORS[s % COLORS.length];
            StringBuilder points = new StringBuilder();
            for (int i = 0; i < series.x().length; i++) {
                double x = LEFT + Math.min(series.x()[i], xMax) / xMax * plotWidth;
                double y = top + plotHeight - Math.min(series.y()[i], yMax) / yMax * plotHeight;
                points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
            }
            svg.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>%n",
                    color, points.toString().trim()));
            double legendY = top + 16 + s * 18;
            svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\""
                    + " stroke-width=\"3\"/><text x=\"%.1f\" y=\"%.1f\">%s</text>%n", LEFT + 12.0, legendY - 4,
                    LEFT + 36.0, legendY - 4, color, LEFT + 42.0, legendY, escape(series.label())));
        }
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
