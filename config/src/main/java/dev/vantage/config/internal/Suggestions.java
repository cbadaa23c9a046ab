package dev.vantage.config.internal;

import java.util.Collection;
import java.util.Locale;

/**
 * Finds the known word closest to a misspelt one: Levenshtein distance, case-insensitive, where a word that matches
 * the beginning of a longer known word counts as one edit away from it. Stateless.
 */
public final class Suggestions {

    private Suggestions() {
    }

    /** The closest candidate within a distance of a third of the word's length (at least 2), or {@code null}. */
    public static String closest(String word, Collection<String> candidates) {
        String lower = word.toLowerCase(Locale.ROOT);
        int limit = Math.max(2, lower.length() / 3);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : candidates) {
            String known = candidate.toLowerCase(Locale.ROOT);
            int distance = distance(lower, known);
            if (lower.length() >= 4 && known.length() > lower.length()) {
                // A missing suffix is a common slip (connectTimeout for connectTimeoutMillis): compare with the
                // candidate's beginning, at the cost of one edit.
                for (int length = lower.length(); length <= lower.length() + 2 && length < known.length(); length++) {
                    distance = Math.min(distance, distance(lower, known.substring(0, length)) + 1);
                }
            }
            if (distance < bestDistance) {
                bestDistance = distance;
                best = candidate;
            }
        }
        return bestDistance <= limit ? best : null;
    }

    static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
