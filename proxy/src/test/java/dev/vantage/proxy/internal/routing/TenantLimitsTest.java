package dev.vantage.proxy.internal.routing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.vantage.config.Tenant;

class TenantLimitsTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void shouldAdmitOneSecondOfBurstThenAskToWait() {
        TenantLimits limits = new TenantLimits(new Tenant("acme", 10, 100), 0);
        int admitted = 0;
        long wait = 0;
        for (int i = 0; i < 20; i++) {
            wait = limits.tryAcquire(0);
            if (wait == 0) {
                admitted++;
            }
        }
        assertThat(admitted).isEqualTo(10);
        assertThat(wait).isPositive().isLessThanOrEqualTo(SECOND / 10);
        assertThat(limits.rejectedRate()).isEqualTo(10);
    }

    @Test
    void shouldAdmitAtTheConfiguredRateOverTime() {
        TenantLimits limits = new TenantLimits(new Tenant("acme", 100, 100), 0);
        int admitted = 0;
        for (int ms = 0; ms < 10_000; ms++) {
            for (int k = 0; k < 3; k++) {
                if (limits.tryAcquire(ms * 1_000_000L) == 0) {
                    admitted++;
                }
            }
        }
        assertThat(admitted).isBetween(1_000, 1_101);
    }

    @Test
    void shouldNeverLimitAnUnlimitedTenant() {
        TenantLimits limits = new TenantLimits(Tenant.unlimited("free"), 0);
        for (int i = 0; i < 10_000; i++) {
            assertThat(limits.tryAcquire(0)).isZero();
        }
    }

    @Test
    void shouldRefuseConnectionsOverTheLimitAndAdmitAfterAClose() {
        TenantLimits limits = new TenantLimits(new Tenant("acme", 10, 2), 0);

        assertThat(limits.tryOpenConnection()).isTrue();
        assertThat(limits.tryOpenConnection()).isTrue();
        assertThat(limits.tryOpenConnection()).isFalse();
        limits.closeConnection();
        assertThat(limits.tryOpenConnection()).isTrue();
        assertThat(limits.openConnections()).isEqualTo(2);
        assertThat(limits.rejectedConnections()).isEqualTo(1);
    }
}
