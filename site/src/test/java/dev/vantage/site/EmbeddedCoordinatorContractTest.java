package dev.vantage.site;

import org.junit.jupiter.api.BeforeEach;

/** The coordinator contract against the in-process {@link EmbeddedCoordinator}. */
class EmbeddedCoordinatorContractTest extends CoordinatorContractTest {

    @BeforeEach
    void create() {
        coordinator = new EmbeddedCoordinator();
    }
}
