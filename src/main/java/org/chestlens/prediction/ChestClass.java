package org.chestlens.prediction;

/** The four mutually exclusive BSTI reporting categories, in the order the model outputs them. */
public enum ChestClass {
    CVX0("normal"),
    CVX1("classic/probable COVID-19"),
    CVX2("indeterminate for COVID-19"),
    CVX3("non-COVID-19 abnormality");

    private final String description;

    ChestClass(String description) {
        this.description = description;
    }

    public int index() {
        return ordinal();
    }

    public String code() {
        return name();
    }

    public String description() {
        return description;
    }

    public static ChestClass ofIndex(int index) {
        return values()[index];
    }

    /** The class of a code such as {@code CVX1}, if it names one. */
    public static java.util.Optional<ChestClass> ofCode(String code) {
        for (ChestClass c : values()) {
            if (c.code().equals(code)) {
                return java.util.Optional.of(c);
            }
        }
        return java.util.Optional.empty();
    }
}
