package org.chestlens.evaluation;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What error analysis may split on: the stored image attributes and the model's own confidence
 * signals. Each feature reads one column of {@link #SELECT}.
 */
enum Features {
    confidence(true, "p.confidence"),
    maxFoldSpread(true, "(SELECT max(s) FROM unnest(p.fold_spread) s)"),
    format(false, "i.format"),
    width(true, "i.width"),
    height(true, "i.height"),
    modality(false, "i.modality"),
    bodyPartExamined(false, "i.body_part_examined"),
    viewPosition(false, "i.view_position"),
    patientSex(false, "i.patient_sex"),
    patientAgeYears(true, "i.patient_age"),
    manufacturer(false, "i.manufacturer"),
    manufacturerModelName(false, "i.manufacturer_model_name"),
    institutionName(false, "i.institution_name"),
    stationName(false, "i.station_name"),
    photometricInterpretation(false, "i.photometric_interpretation"),
    bitsStored(true, "i.bits_stored"),
    kvp(true, "i.kvp"),
    distanceSourceToDetector(true, "i.distance_source_to_detector");

    private static final Pattern DICOM_AGE = Pattern.compile("(\\d{1,3})([DWMY])");

    /** The columns of all features, in enum order, for a query over prediction p joined with image i. */
    static final String SELECT = String.join(", ", Arrays.stream(values())
            .map(f -> f.column + " AS f_" + f.name().toLowerCase(Locale.ROOT)).toList());

    final boolean numeric;
    private final String column;

    Features(boolean numeric, String column) {
        this.numeric = numeric;
        this.column = column;
    }

    static Optional<Features> named(String name) {
        return Arrays.stream(values()).filter(f -> f.name().equals(name)).findFirst();
    }

    ErrorTree.Feature asTreeFeature() {
        return new ErrorTree.Feature(name(), numeric);
    }

    /** This feature's value in a row of a query that selected {@link #SELECT}: Double, String or null. */
    Object read(ResultSet rs) throws SQLException {
        String label = "f_" + name().toLowerCase(Locale.ROOT);
        if (this == patientAgeYears) {
            return ageInYears(rs.getString(label));
        }
        if (numeric) {
            double value = rs.getDouble(label);
            return rs.wasNull() ? null : value;
        }
        return rs.getString(label);
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
