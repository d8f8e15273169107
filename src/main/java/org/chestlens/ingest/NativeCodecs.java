package org.chestlens.ingest;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;

import com.sun.jna.Callback;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.NativeLongByReference;
import com.sun.jna.ptr.PointerByReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decoders from Debian's native libraries, called through JNA: CharLS (libcharls2) for JPEG-LS
 * lossless and near-lossless, OpenJPEG 2.5 (libopenjp2-7) for JPEG 2000 and High-Throughput JPEG 2000
 * (the library {@code gdcmconv} uses, about 2.5 times faster than jai-imageio was), and gdcm's
 * 12-bit IJG library (libgdcm3.0) for 12-bit JPEG Extended, through our own small shim
 * (src/main/c/jpeg12.c, built into {@code chestlens.ingest.native-dir}): the IJG API reports errors
 * through a callback that must not return, which only C can leave with longjmp. Each library is loaded
 * once, on first use; when it is missing its syntaxes stay refused (415, naming the package), never a
 * crash. All report damage through return codes, which become 422 corrupt-image.
 *
 * <p>They run inside the same decode slots as the Java codecs, after the pre-check has compared the
 * codestream header with the DICOM header and the pixel limit, and the native buffers they fill are
 * sized from that checked header (at most max-pixels x 4 bytes), never from what the codestream says.
 */
final class NativeCodecs {

    private static final Logger log = LoggerFactory.getLogger(NativeCodecs.class);

    /** A native library, loaded or not. */
    static final class Loaded<T> {
        private final T library;
        private final String debianPackage;

        private Loaded(T library, String debianPackage) {
            this.library = library;
            this.debianPackage = debianPackage;
        }

        /** The Debian package to install when the library did not load; null when it did. */
        String missingPackage() {
            return library == null ? debianPackage : null;
        }
    }

    /** Where {@code ./mvnw} builds the shims (src/main/c/build.sh), relative to the project directory. */
    static final String DEFAULT_NATIVE_DIR = "target/native";
    static final String JPEG12_SHIM = "libchestlens-jpeg12.so";
    /** The shim's ABI; a shim of another version is not called. */
    private static final String JPEG12_VERSION = "chestlens-jpeg12 1 ";

    private static volatile Loaded<CharLs> charls;
    private static volatile Loaded<OpenJpeg> openJpeg;
    private static volatile Loaded<Jpeg12> jpeg12;
    private static volatile Path nativeDir = Path.of(DEFAULT_NATIVE_DIR);

    private NativeCodecs() {
    }

    static Loaded<CharLs> charls() {
        Loaded<CharLs> loaded = charls;
        if (loaded == null) {
            synchronized (NativeCodecs.class) {
                if (charls == null) {
                    charls = load(() -> Native.load("libcharls.so.2", CharLs.class), "libcharls2", "CharLS");
                }
                loaded = charls;
            }
        }
        return loaded;
    }

    static Loaded<OpenJpeg> openJpeg() {
        Loaded<OpenJpeg> loaded = openJpeg;
        if (loaded == null) {
            synchronized (NativeCodecs.class) {
                if (openJpeg == null) {
                    openJpeg = load(() -> {
                        OpenJpeg library = Native.load("libopenjp2.so.7", OpenJpeg.class);
                        // HTJ2K decoding arrived in OpenJPEG 2.5.0; an older library would call it corrupt,
                        // and the tests hold 2.5's refusal of truncated JPEG 2000 codestreams (strict mode).
                        String version = library.opj_version();
                        if (!atLeast(version, 2, 5)) {
                            throw new UnsatisfiedLinkError("OpenJPEG " + version + " cannot decode HTJ2K");
                        }
                        return library;
                    }, "libopenjp2-7 (2.5 or newer)", "OpenJPEG");
                }
                loaded = openJpeg;
            }
        }
        return loaded;
    }

    /**
     * Where the shims are ({@code chestlens.ingest.native-dir}); set before the first decode. Another
     * folder than the one a shim was loaded from makes the next use load it from there.
     */
    static synchronized void useNativeDir(Path dir) {
        if (!dir.equals(nativeDir)) {
            nativeDir = dir;
            jpeg12 = null;
        }
    }

    static Loaded<Jpeg12> jpeg12() {
        Loaded<Jpeg12> loaded = jpeg12;
        if (loaded == null) {
            synchronized (NativeCodecs.class) {
                if (jpeg12 == null) {
                    Path shim = nativeDir.resolve(JPEG12_SHIM).toAbsolutePath();
                    // Without the shim, the build lacked gcc or libgdcm-dev; with it, dlopen fails only
                    // when gdcm's runtime library is missing. (The path goes to the log, not to clients.)
                    String missing = Files.isRegularFile(shim) ? "libgdcm3.0"
                            : "libgdcm3.0 with the chestlens-jpeg12 shim, which the build makes where gcc and "
                                    + "libgdcm-dev are installed";
                    jpeg12 = load(() -> {
                        Jpeg12 library = Native.load(shim.toString(), Jpeg12.class);
                        String version = library.chestlens_jpeg12_version();
                        if (version == null || !version.startsWith(JPEG12_VERSION)) {
                            throw new UnsatisfiedLinkError(shim + " is " + version + ", not " + JPEG12_VERSION);
                        }
                        return library;
                    }, missing, "12-bit JPEG (" + shim + ")");
                }
                loaded = jpeg12;
            }
        }
        return loaded;
    }

    static boolean atLeast(String version, int major, int minor) {
        String[] parts = version == null ? new String[0] : version.split("\\.");
        try {
            int have = Integer.parseInt(parts[0]);
            return have > major || have == major && Integer.parseInt(parts[1]) >= minor;
        } catch (RuntimeException e) {
            return false;
        }
    }

    @SuppressWarnings("java:S1181") // UnsatisfiedLinkError and JNA's own errors mean "not installed"
    static <T> Loaded<T> load(Supplier<T> loader, String debianPackage, String name) {
        try {
            return new Loaded<>(loader.get(), debianPackage);
        } catch (Throwable e) {
            log.warn("{} not available ({}: {}): its transfer syntaxes are refused; install the Debian package {}",
                    name, e.getClass().getSimpleName(), e.getMessage(), debianPackage);
            return new Loaded<>(null, debianPackage);
        }
    }

    /**
     * The first frame's samples as stored (unsigned bit patterns of the declared precision), one per
     * pixel, row by row; the frame must decode to exactly {@code header}'s columns x rows, one component.
     */
    static int[] decode(DicomTransferSyntax syntax, byte[] frame, DicomImageHeader header, String label) {
        return switch (syntax.encoding()) {
            case JPEG_LS -> jpegLs(syntax, frame, header, label);
            case JPEG_2000, HTJ2K -> jpeg2000(syntax, frame, header, label);
            case JPEG -> jpeg12(syntax, frame, header, label);
            default -> throw new IllegalArgumentException(syntax.name());
        };
    }

    /** Whether a JPEG frame is one for {@link #jpeg12}: lossy (DCT) at 12 bits, as the pre-check read it. */
    static boolean isTwelveBitLossyJpeg(DicomCodestream codestream) {
        return codestream != null && (codestream.process().equals("extended-12")
                || codestream.process().equals("progressive-12"));
    }

    // ---- 12-bit JPEG (gdcm's IJG 6b through src/main/c/jpeg12.c) ----

    /** src/main/c/jpeg12.c; size_t is NativeLong on Linux. */
    interface Jpeg12 extends Library {
        String chestlens_jpeg12_version();

        /** info: width, height, components, precision, process (1 sequential, 2 progressive); 0 is success. */
        int chestlens_jpeg12_decode(Pointer in, NativeLong length, int expectedWidth, int expectedHeight,
                                    Pointer out, NativeLong outCapacity, int[] info, byte[] message,
                                    NativeLong messageCapacity);
    }

    private static final int JPEG12_MISMATCH = 2;

    private static int[] jpeg12(DicomTransferSyntax syntax, byte[] frame, DicomImageHeader header, String label) {
        Jpeg12 lib = jpeg12().library;
        if (lib == null) {
            // the pre-check refuses these first (naming the packages); this covers a native-dir changed since
            throw UploadRejected.unsupportedTransferSyntax(label, syntax.uid(),
                    syntax.title() + " with 12-bit samples, whose decoder is not installed here,");
        }
        // the DICOM header was checked against max-pixels and the frame's SOF: the output is sized from it
        int count = Math.multiplyExact(header.columns(), header.rows());
        try (Memory source = new Memory(Math.max(1, frame.length));
             Memory destination = new Memory(2L * count)) {
            source.write(0, frame, 0, frame.length);
            int[] info = new int[5];
            byte[] message = new byte[256];
            int result = lib.chestlens_jpeg12_decode(source, new NativeLong(frame.length), header.columns(),
                    header.rows(), destination, new NativeLong(count), info, message, new NativeLong(message.length));
            if (result == JPEG12_MISMATCH) {
                requireDeclared(info[0], info[1], info[2], info[3], header, label);
            }
            if (result != 0) {
                throw UploadRejected.corrupt(label, "the 12-bit JPEG frame cannot be decoded (" + text(message) + ")");
            }
            requireDeclared(info[0], info[1], info[2], info[3], header, label);
            short[] words = destination.getShortArray(0, count); // native byte order, as the shim writes
            int[] samples = new int[count];
            for (int i = 0; i < count; i++) {
                samples[i] = words[i] & 0xFFFF;
            }
            return samples;
        }
    }

    private static String text(byte[] nulTerminated) {
        int end = 0;
        while (end < nulTerminated.length && nulTerminated[end] != 0) {
            end++;
        }
        return end == 0 ? "no reason given" : new String(nulTerminated, 0, end, StandardCharsets.US_ASCII);
    }

    // ---- CharLS ----

    /** The CharLS 2 C API (charls/charls_jpegls_decoder.h); size_t is NativeLong on Linux. */
    interface CharLs extends Library {
        Pointer charls_jpegls_decoder_create();

        void charls_jpegls_decoder_destroy(Pointer decoder);

        int charls_jpegls_decoder_set_source_buffer(Pointer decoder, Pointer source, NativeLong size);

        int charls_jpegls_decoder_read_header(Pointer decoder);

        /** frameInfo: width, height, bits per sample, component count. */
        int charls_jpegls_decoder_get_frame_info(Pointer decoder, int[] frameInfo);

        int charls_jpegls_decoder_get_destination_size(Pointer decoder, int stride, NativeLongByReference size);

        int charls_jpegls_decoder_decode_to_buffer(Pointer decoder, Pointer destination, NativeLong size, int stride);

        String charls_get_error_message(int error);
    }

    private static int[] jpegLs(DicomTransferSyntax syntax, byte[] frame, DicomImageHeader header, String label) {
        CharLs lib = charls().library;
        if (lib == null) {
            throw UploadRejected.unsupportedTransferSyntax(label, syntax.uid(),
                    "JPEG-LS, whose decoder (Debian package libcharls2) is not installed here,");
        }
        Pointer decoder = lib.charls_jpegls_decoder_create();
        if (decoder == null) {
            throw new OutOfMemoryError("CharLS decoder");
        }
        try (Memory source = new Memory(Math.max(1, frame.length))) {
            source.write(0, frame, 0, frame.length);
            check(lib, lib.charls_jpegls_decoder_set_source_buffer(decoder, source, new NativeLong(frame.length)), label);
            check(lib, lib.charls_jpegls_decoder_read_header(decoder), label);
            int[] info = new int[4];
            check(lib, lib.charls_jpegls_decoder_get_frame_info(decoder, info), label);
            requireDeclared(info[0], info[1], info[3], info[2], header, label);
            int bytesPerSample = info[2] <= 8 ? 1 : 2;
            long size = (long) header.columns() * header.rows() * bytesPerSample;
            NativeLongByReference needed = new NativeLongByReference();
            check(lib, lib.charls_jpegls_decoder_get_destination_size(decoder, 0, needed), label);
            if (needed.getValue().longValue() != size) {
                throw UploadRejected.corrupt(label, "the JPEG-LS frame does not decode to the declared image");
            }
            try (Memory destination = new Memory(size)) {
                check(lib, lib.charls_jpegls_decoder_decode_to_buffer(decoder, destination, new NativeLong(size), 0),
                        label);
                int count = header.columns() * header.rows();
                int[] samples = new int[count];
                if (bytesPerSample == 1) {
                    byte[] bytes = destination.getByteArray(0, count);
                    for (int i = 0; i < count; i++) {
                        samples[i] = bytes[i] & 0xFF;
                    }
                } else {
                    short[] words = destination.getShortArray(0, count); // native byte order, as CharLS writes
                    for (int i = 0; i < count; i++) {
                        samples[i] = words[i] & 0xFFFF;
                    }
                }
                return samples;
            }
        } finally {
            lib.charls_jpegls_decoder_destroy(decoder);
        }
    }

    private static void check(CharLs lib, int error, String label) {
        if (error != 0) {
            String message = lib.charls_get_error_message(error);
            throw UploadRejected.corrupt(label, "the JPEG-LS frame cannot be decoded ("
                    + (message == null ? "error " + error : message) + ")");
        }
    }

    // ---- OpenJPEG ----

    /** The OpenJPEG 2.5 C API (openjpeg.h); OPJ_BOOL is int, OPJ_SIZE_T NativeLong, OPJ_OFF_T and OPJ_UINT64 long. */
    interface OpenJpeg extends Library {
        int OPJ_CODEC_J2K = 0;
        int OPJ_CODEC_JP2 = 2;

        String opj_version();

        Pointer opj_create_decompress(int format);

        void opj_set_default_decoder_parameters(Pointer parameters);

        int opj_setup_decoder(Pointer codec, Pointer parameters);

        int opj_codec_set_threads(Pointer codec, int threads);

        Pointer opj_stream_create(NativeLong bufferSize, int isInput);

        void opj_stream_set_read_function(Pointer stream, ReadFunction function);

        void opj_stream_set_skip_function(Pointer stream, SkipFunction function);

        void opj_stream_set_seek_function(Pointer stream, SeekFunction function);

        void opj_stream_set_user_data_length(Pointer stream, long length);

        int opj_read_header(Pointer stream, Pointer codec, PointerByReference image);

        int opj_decode(Pointer codec, Pointer stream, Pointer image);

        int opj_end_decompress(Pointer codec, Pointer stream);

        void opj_image_destroy(Pointer image);

        void opj_stream_destroy(Pointer stream);

        void opj_destroy_codec(Pointer codec);
    }

    interface ReadFunction extends Callback {
        NativeLong invoke(Pointer buffer, NativeLong bytes, Pointer userData);
    }

    interface SkipFunction extends Callback {
        long invoke(long bytes, Pointer userData);
    }

    interface SeekFunction extends Callback {
        int invoke(long position, Pointer userData);
    }

    /** The codestream as an OpenJPEG input stream; the callbacks must stay reachable while it is used. */
    private static final class ByteStream {
        private final byte[] data;
        private int position;
        final ReadFunction read;
        final SkipFunction skip;
        final SeekFunction seek;

        ByteStream(byte[] data) {
            this.data = data;
            this.read = (buffer, bytes, user) -> {
                int n = (int) Math.min(bytes.longValue(), this.data.length - position);
                if (n <= 0) {
                    return new NativeLong(-1); // (OPJ_SIZE_T) -1: end of stream
                }
                buffer.write(0, this.data, position, n);
                position += n;
                return new NativeLong(n);
            };
            this.skip = (bytes, user) -> {
                long target = Math.max(0, Math.min(this.data.length, position + bytes));
                long skipped = target - position;
                position = (int) target;
                return skipped;
            };
            this.seek = (target, user) -> {
                if (target < 0 || target > this.data.length) {
                    return 0;
                }
                position = (int) target;
                return 1;
            };
        }
    }

    /**
     * Threads OpenJPEG decodes one frame with (code-blocks and wavelet in parallel; the pixels are the
     * same). gdcm, and so {@code gdcmconv}, uses every CPU; we stop at 4, since up to
     * {@code chestlens.ingest.max-concurrent-decodes} frames decode at once and each pool is made per frame.
     */
    private static final int OPENJPEG_THREADS = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));

    /** sizeof(opj_dparameters_t) is about 8.3 KB in 2.5 (two 4 KiB paths); generous room. */
    private static final int DECODER_PARAMETERS_BYTES = 16 * 1024;
    // opj_image_t: x0, y0, x1, y1, numcomps (OPJ_UINT32), color_space (enum), then opj_image_comp_t *comps
    private static final int IMAGE_NUMCOMPS = 16;
    private static final int IMAGE_COMPS = 24;
    // opj_image_comp_t: dx, dy, w, h, x0, y0, prec, bpp, sgnd, resno_decoded, factor (OPJ_UINT32), OPJ_INT32 *data
    private static final int COMP_W = 8;
    private static final int COMP_H = 12;
    private static final int COMP_PREC = 24;
    private static final int COMP_DATA = 48;

    /** The JP2 file signature box: a (non-conformant) wrapper some writers put around the codestream. */
    private static final byte[] JP2_SIGNATURE = {0, 0, 0, 0x0C, 'j', 'P', ' ', ' ', 0x0D, 0x0A, (byte) 0x87, 0x0A};

    /**
     * JPEG 2000 and HTJ2K frames: the samples as OpenJPEG returns them (as {@code gdcmconv} and
     * {@code opj_decompress} give them), sign-extended for signed components, clipped to the
     * codestream's precision; a lossy overshoot above Bits Stored is left to DicomDecoder to clamp.
     */
    private static int[] jpeg2000(DicomTransferSyntax syntax, byte[] frame, DicomImageHeader header, String label) {
        boolean ht = syntax.encoding() == DicomTransferSyntax.Encoding.HTJ2K;
        String name = ht ? "HTJ2K" : "JPEG 2000";
        OpenJpeg lib = openJpeg().library;
        if (lib == null) {
            throw UploadRejected.unsupportedTransferSyntax(label, syntax.uid(),
                    name + ", whose decoder (Debian package libopenjp2-7) is not installed here,");
        }
        if (ht && header.signed()) {
            // Checked against OpenJPH's own round trip: OpenJPEG 2.5.0 (Debian 12) decodes unsigned HTJ2K
            // exactly at 12 to 16 bits, but signed samples come back wrong. Refused rather than scored wrong.
            throw UploadRejected.unsupportedTransferSyntax(label, syntax.uid(),
                    "HTJ2K with signed samples, which the installed OpenJPEG does not decode exactly,");
        }
        boolean jp2 = frame.length >= JP2_SIGNATURE.length
                && java.util.Arrays.equals(frame, 0, JP2_SIGNATURE.length, JP2_SIGNATURE, 0, JP2_SIGNATURE.length);
        Pointer codec = lib.opj_create_decompress(jp2 ? OpenJpeg.OPJ_CODEC_JP2 : OpenJpeg.OPJ_CODEC_J2K);
        Pointer stream = null;
        Pointer image = null;
        ByteStream input = new ByteStream(frame);
        try (Memory parameters = new Memory(DECODER_PARAMETERS_BYTES)) {
            parameters.clear();
            lib.opj_set_default_decoder_parameters(parameters);
            if (codec == null || lib.opj_setup_decoder(codec, parameters) == 0
                    || lib.opj_codec_set_threads(codec, OPENJPEG_THREADS) == 0) {
                throw UploadRejected.corrupt(label, "the " + name + " decoder cannot be set up");
            }
            stream = lib.opj_stream_create(new NativeLong(Math.max(4096, Math.min(frame.length, 1 << 20))), 1);
            lib.opj_stream_set_read_function(stream, input.read);
            lib.opj_stream_set_skip_function(stream, input.skip);
            lib.opj_stream_set_seek_function(stream, input.seek);
            lib.opj_stream_set_user_data_length(stream, frame.length);
            PointerByReference decoded = new PointerByReference();
            if (lib.opj_read_header(stream, codec, decoded) == 0 || decoded.getValue() == null) {
                throw UploadRejected.corrupt(label, "the " + name + " frame header cannot be read");
            }
            image = decoded.getValue();
            int components = image.getInt(IMAGE_NUMCOMPS);
            Pointer comps = image.getPointer(IMAGE_COMPS);
            if (components != 1 || comps == null) {
                throw UploadRejected.corrupt(label, "the " + name + " frame has " + components + " components");
            }
            if (lib.opj_decode(codec, stream, image) == 0 || lib.opj_end_decompress(codec, stream) == 0) {
                throw UploadRejected.corrupt(label, "the " + name + " frame cannot be decoded");
            }
            int width = comps.getInt(COMP_W);
            int height = comps.getInt(COMP_H);
            requireDeclared(width, height, 1, comps.getInt(COMP_PREC), header, label);
            Pointer data = comps.getPointer(COMP_DATA);
            if (data == null) {
                throw UploadRejected.corrupt(label, "the " + name + " frame decoded to nothing");
            }
            return data.getIntArray(0, width * height);
        } finally {
            if (image != null) {
                lib.opj_image_destroy(image);
            }
            if (stream != null) {
                lib.opj_stream_destroy(stream);
            }
            if (codec != null) {
                lib.opj_destroy_codec(codec);
            }
            // The callbacks must outlive every native call that may use them.
            java.lang.ref.Reference.reachabilityFence(input);
        }
    }

    /** What the codec decoded must be the image the (already checked) DICOM header declares. */
    private static void requireDeclared(long width, long height, int components, int precision,
                                        DicomImageHeader header, String label) {
        if (width != header.columns() || height != header.rows() || components != 1 || precision < 1
                || precision > header.bitsAllocated()) {
            throw UploadRejected.corrupt(label, "the first frame decodes to " + width + " x " + height + " x "
                    + components + " at " + precision + " bits, not the declared image");
        }
    }
}
