package org.chestlens.interop.pacs;

/**
 * The DICOM Patient Module (PS3.3 C.7.1.1) an SR or Secondary Capture carries: Patient's Name, Patient
 * ID, Patient's Birth Date and Patient's Sex, each Type 2 (present, possibly empty). This service keeps
 * no patient identity, so what it builds on request carries {@link #EMPTY}: the receiving PACS files the
 * objects by their Study Instance UID into the study it already holds. A later outbox that keeps the
 * source header's module (encrypted, until delivered) passes it here instead; nothing else changes.
 * {@link #toString()} never prints the values.
 */
public record PatientModule(String name, String id, String birthDate, String sex) {

    /** Every attribute present and zero length. */
    public static final PatientModule EMPTY = new PatientModule("", "", "", "");

    public PatientModule {
        name = name == null ? "" : name;
        id = id == null ? "" : id;
        birthDate = birthDate == null ? "" : birthDate;
        sex = sex == null ? "" : sex;
    }

    @Override
    public String toString() {
        return "PatientModule[" + (this.equals(EMPTY) ? "empty" : "***") + "]";
    }
}
