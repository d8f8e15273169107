package org.chestlens.interop;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The Store Instances Response Module (PS3.18 Annex I) of one STOW-RS request, written as DICOM
 * JSON (PS3.18 Annex F): each attribute is keyed by its tag in upper-case hex and carries its VR and
 * a {@code Value} array; an attribute without a value has no {@code Value}.
 */
final class StoreInstancesResponse {

    /** Failure Reason (0008,1197) values, PS3.18 Table I.2-2, and the ones this service adds. */
    static final int OUT_OF_RESOURCES = 0xA700;
    static final int CANNOT_UNDERSTAND = 0xC000;
    static final int TRANSFER_SYNTAX_NOT_SUPPORTED = 0xC122;
    static final int PROCESSING_FAILURE = 0x0110;
    /**
     * An instance posted to /studies/{study} that belongs to another study. PS3.18 names no code for
     * it (0xC122 is "Referenced Transfer Syntax not supported" in Table I.2-2); this is one of the
     * "Data Set does not match" A9xx codes, as Microsoft's DICOM service answers the same case.
     */
    static final int STUDY_MISMATCH = 0xA901;

    private static final String RETRIEVE_URL = "00081190";
    private static final String FAILED_SOP_SEQUENCE = "00081198";
    private static final String REFERENCED_SOP_SEQUENCE = "00081199";
    private static final String FAILURE_REASON = "00081197";
    private static final String REFERENCED_SOP_CLASS_UID = "00081150";
    private static final String REFERENCED_SOP_INSTANCE_UID = "00081155";

    /** An instance that was accepted: its image is stored and its scoring job committed. */
    record Stored(String sopClassUid, String sopInstanceUid, String retrieveUrl) {
    }

    /** An instance that was not stored; the UIDs are null when the part could not be read at all. */
    record Failed(String sopClassUid, String sopInstanceUid, int reason) {
    }

    private final List<Stored> stored = new ArrayList<>();
    private final List<Failed> failed = new ArrayList<>();
    private long retryAfterSeconds;

    void stored(Stored instance) {
        stored.add(instance);
    }

    void failed(Failed instance) {
        failed.add(instance);
    }

    List<Stored> stored() {
        return List.copyOf(stored);
    }

    List<Failed> failed() {
        return List.copyOf(failed);
    }

    /**
     * An instance was refused because the service was busy (queue full, decoders busy, database away), not for
     * itself; a retry may succeed after {@code seconds} (the longest of the refusals is kept).
     */
    void busy(long seconds) {
        retryAfterSeconds = Math.max(retryAfterSeconds, Math.max(1, seconds));
    }

    /** When a retry may succeed, or empty when no instance was refused for being busy. */
    OptionalLong retryAfterSeconds() {
        return retryAfterSeconds == 0 ? OptionalLong.empty() : OptionalLong.of(retryAfterSeconds);
    }

    Map<String, Object> toDicomJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        // Type 2: the study's retrieve URL. There is no study resource to point at (no WADO-RS), so
        // it is present and empty; each stored instance names its own image resource instead.
        json.put(RETRIEVE_URL, new LinkedHashMap<>(Map.of("vr", "UR")));
        if (!failed.isEmpty()) {
            json.put(FAILED_SOP_SEQUENCE, sequence(failed.stream().map(f -> {
                Map<String, Object> item = reference(f.sopClassUid(), f.sopInstanceUid());
                item.put(FAILURE_REASON, element("US", f.reason()));
                return item;
            }).toList()));
        }
        if (!stored.isEmpty()) {
            json.put(REFERENCED_SOP_SEQUENCE, sequence(stored.stream().map(s -> {
                Map<String, Object> item = reference(s.sopClassUid(), s.sopInstanceUid());
                item.put(RETRIEVE_URL, element("UR", s.retrieveUrl()));
                return item;
            }).toList()));
        }
        return json;
    }

    /**
     * The SOP Instance Reference Macro. Both UIDs are Type 1, but a part that is not DICOM at all has
     * none to give; such an item carries only its Failure Reason rather than invented UIDs.
     */
    private static Map<String, Object> reference(String sopClassUid, String sopInstanceUid) {
        Map<String, Object> item = new LinkedHashMap<>();
        if (sopClassUid != null) {
            item.put(REFERENCED_SOP_CLASS_UID, element("UI", sopClassUid));
        }
        if (sopInstanceUid != null) {
            item.put(REFERENCED_SOP_INSTANCE_UID, element("UI", sopInstanceUid));
        }
        return item;
    }

    private static Map<String, Object> sequence(List<Map<String, Object>> items) {
        return element("SQ", items);
    }

    private static Map<String, Object> element(String vr, Object value) {
        Map<String, Object> element = new LinkedHashMap<>();
        element.put("vr", vr);
        element.put("Value", value instanceof List<?> list ? list : List.of(value));
        return element;
    }
}
