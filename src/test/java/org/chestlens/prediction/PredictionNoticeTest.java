package org.chestlens.prediction;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class PredictionNoticeTest {

    private static ModelVersionRegistry.ModelVersionRow model(boolean trained, String notice) {
        return new ModelVersionRegistry.ModelVersionRow(1, "m", "1", trained, List.of("0".repeat(64)), notice);
    }

    @Test
    void anUntrainedModelAlwaysCarriesTheUntrainedNoticeWhateverItsPackageSays() {
        assertThat(PredictionView.noticeFor(model(false, null))).startsWith("UNTRAINED MODEL");
        assertThat(PredictionView.noticeFor(model(false, "All fine"))).startsWith("UNTRAINED MODEL");
    }

    @Test
    void aTrainedModelCarriesItsPackagesNoticeOrNone() {
        assertThat(PredictionView.noticeFor(model(true, "DEMONSTRATION MODEL"))).isEqualTo("DEMONSTRATION MODEL");
        assertThat(PredictionView.noticeFor(model(true, null))).isNull();
    }
}
