package org.chestlens.interop;

import java.util.LinkedList;
import java.util.List;
import java.util.Set;

import com.pixelmed.network.PresentationContext;
import com.pixelmed.network.PresentationContextSelectionPolicy;
import org.chestlens.ingest.IngestService;

/**
 * Which presentation contexts the receiver accepts: the radiograph storage SOP classes (CR, DX for
 * presentation and for processing, and Secondary Capture, which the safety gate then judges as it
 * judges an upload) plus Verification, each with the first transfer syntax the sender proposes that
 * this service decodes. The uncompressed syntaxes are always among them, so a sender that proposes a
 * compressed syntax we do not read along with an uncompressed fallback gets the fallback.
 */
final class StoragePresentationContexts implements PresentationContextSelectionPolicy {

    static final String VERIFICATION = "1.2.840.10008.1.1";
    static final Set<String> STORAGE_SOP_CLASSES = Set.of(
            "1.2.840.10008.5.1.4.1.1.1",       // Computed Radiography Image Storage
            "1.2.840.10008.5.1.4.1.1.1.1",     // Digital X-Ray Image Storage - For Presentation
            "1.2.840.10008.5.1.4.1.1.1.1.1",   // Digital X-Ray Image Storage - For Processing
            "1.2.840.10008.5.1.4.1.1.7",       // Secondary Capture Image Storage
            "1.2.840.10008.5.1.4.1.1.7.2",     // Multi-frame Grayscale Byte Secondary Capture Image Storage
            "1.2.840.10008.5.1.4.1.1.7.3");    // Multi-frame Grayscale Word Secondary Capture Image Storage
    private static final byte ACCEPTANCE = 0;
    private static final byte ABSTRACT_SYNTAX_NOT_SUPPORTED = 3;
    private static final byte TRANSFER_SYNTAXES_NOT_SUPPORTED = 4;
    private static final List<String> VERIFICATION_SYNTAXES = List.of("1.2.840.10008.1.2", "1.2.840.10008.1.2.1");

    private final List<String> decodable = IngestService.decodableTransferSyntaxes();

    @Override
    public LinkedList applyPresentationContextSelectionPolicy(LinkedList contexts, int associationNumber,
                                                              int debugLevel) {
        return applyPresentationContextSelectionPolicy(contexts, associationNumber);
    }

    /** Answers each context in place: PixelMed's acceptor ignores the list returned and reads the one given. */
    @Override
    @SuppressWarnings({"rawtypes", "unchecked"})
    public LinkedList applyPresentationContextSelectionPolicy(LinkedList contexts, int associationNumber) {
        for (Object item : contexts) {
            PresentationContext context = (PresentationContext) item;
            String abstractSyntax = context.getAbstractSyntaxUID() == null ? "" : context.getAbstractSyntaxUID().strip();
            List<String> readable = VERIFICATION.equals(abstractSyntax) ? VERIFICATION_SYNTAXES
                    : STORAGE_SOP_CLASSES.contains(abstractSyntax) ? decodable : List.of();
            List<String> proposed = ((List<Object>) context.getTransferSyntaxUIDs()).stream()
                    .map(uid -> uid.toString().strip()).toList();
            String chosen = proposed.stream().filter(readable::contains).findFirst().orElse(null);
            context.newTransferSyntaxUIDs();
            context.addTransferSyntaxUID(chosen != null ? chosen : proposed.isEmpty() ? "1.2.840.10008.1.2" : proposed.get(0));
            context.setResultReason(readable.isEmpty() ? ABSTRACT_SYNTAX_NOT_SUPPORTED
                    : chosen == null ? TRANSFER_SYNTAXES_NOT_SUPPORTED : ACCEPTANCE);
        }
        return contexts;
    }
}
