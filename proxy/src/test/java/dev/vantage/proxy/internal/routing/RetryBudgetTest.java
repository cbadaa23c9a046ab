package dev.vantage.proxy.internal.routing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RetryBudgetTest {

    private static int retries(RetryBudget budget, long now, int attempts) {
        int allowed = 0;
        for (int i = 0; i < attempts; i++) {
            if (budget.tryWithdraw(now)) {
                allowed++;
            }
        }
        return allowed;
    }

    @Test
    void shouldAllowAboutTwentyPercentOfRequestsPlusTheReserve() {
        RetryBudget budget = new RetryBudget(0.2, 3, 0);
        for (int i = 0; i < 1_000; i++) {
            budget.onRequest(0);
        }

        assertThat(retries(budget, 0, 1_000)).isEqualTo(203);
    }

    @Test
    void shouldNeverAmplifyAnOutageBeyondTheBudget() {
        RetryBudget budget = new RetryBudget(0.2, 3, 0);
        int retries = 0;
        // Every request fails and asks for a retry, 1000 requests per second for 10 seconds.
        for (int i = 0; i < 10_000; i++) {
            long now = i * 1_000_000L;
            budget.onRequest(now);
            if (budget.tryWithdraw(now)) {
                retries++;
            }
        }
        assertThat(retries).isBetween(2_000, 2_000 + 3 * 11);
    }

    @Test
    void shouldRefillTheReserveOverTimeForQuietRoutes() {
        RetryBudget budget = new RetryBudget(0.2, 3, 0);

        assertThat(retries(budget, 0, 10)).isEqualTo(3);
        assertThat(retries(budget, 500_000_000L, 10)).isEqualTo(1);
        assertThat(retries(budget, 10_000_000_000L, 10)).isEqualTo(3);
    }

    @Test
    void shouldForgetDepositsOfALongCalmPeriod() {
        RetryBudget budget = new RetryBudget(0.2, 0, 0);
        for (int i = 0; i < 1_000; i++) {
            budget.onRequest(0);
        }

        assertThat(retries(budget, 60_000_000_000L, 1_000)).isLessThanOrEqualTo(1);
    }

    @Test
    void shouldAllowNothingWithAZeroBudget() {
        RetryBudget budget = new RetryBudget(0, 0, 0);
        budget.onRequest(0);

        assertThat(retries(budget, 1_000_000_000L, 5)).isZero();
    }
}
