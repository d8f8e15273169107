package org.chestlens.evaluation;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.chestlens.prediction.ScoredImage;

/** What error analysis may split on: the stored image attributes and the model's own confidence signals. */
enum Features {
    confidence(true, ScoredImage::confidence),
    maxFoldSpread(true, s -> largest(s.foldSpread())),
    format(false, s -> s.image().format()),
    width(true, s -> s.image().width()),
    height(true, s -> s.image().height()),
    modality(false, s -> s.image().modality()),
    bodyPartExamined(false, s -> s.image().bodyPartExamined()),
    viewPosition(false, s -> s.image().viewPosition()),
    patientSex(false, s -> s.image().patientSex()),
    patientAgeYears(true, s -> ageInYears(s.image().patientAge())),
    manufacturer(false, s -> s.image().manufacturer()),
    manufacturerModelName(false, s -> s.image().manufacturerModelName()),
    institutionName(false, s -> s.image().institutionName()),
    stationName(false, s -> s.image().stationName()),
    photometricInterpretation(false, s -> s.image().photometricInterpretation()),
    bitsStored(true, s -> s.image().bitsStored()),
    kvp(true, s -> s.image().kvp()),
    distanceSourceToDetector(true, s -> s.image().distanceSourceToDetector());

    private static final Pattern DICOM_AGE = Pattern.compile("(\\d{1,3})([DWMY])");

    final boolean numeric;
    private final Function<ScoredImage, Object> value;

    Features(boolean numeric, Function<ScoredImage, Object> value) {
        this.numeric = numeric;
        this.value = value;
    }

    static Optional<Features> named(String name) {
        return Arrays.stream(values()).filter(f -> f.name().equals(name)).findFirst();
    }

    ErrorTree.Feature asTreeFeature() {
        return new ErrorTree.Feature(name(), numeric);
    }

    /** Every feature's value for the prediction, in enum order: Double (numeric features), String or null. */
    static Object[] valuesOf(ScoredImage scored) {
        Object[] values = new Object[values().length];
        for (Features f : values()) {
            Object v = f.value.apply(scored);
            values[f.ordinal()] = v instanceof Number n ? (Object) n.doubleValue() : v;
        }
        return values;
    }

    private static Double largest(double[] values) {
        return values.length == 0 ? null : Arrays.stream(values).max().getAsDouble();
    }

    /** DICOM Patient's Age ("063Y", "011M", "005W", "003D") in years; null when absent or malformed. */
    static Double ageInYears(String age) {
        if (age == null) {
            return null;
        }
        Matcher m = DICOM_AGE.matcher(age.trim());
        if (!m.matches()) {
            return null;
        }
        double n = Integer.parseInt(m.group(1));
        return switch (m.group(2)) {
            case "Y" -> n;
            case "M" -> n / 12;
            case "W" -> n * 7 / 365.25;
            default -> n / 365.25;
        };
    }

    static List<String> names() {
        return Arrays.stream(values()).map(Enum::name).toList();
    }
}
