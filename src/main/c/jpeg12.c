/*
 * chestlens-jpeg12: decodes one 12-bit lossy JPEG frame (ITU T.81 processes 2 and 4: extended
 * sequential and progressive, Huffman coded) with gdcm's 12-bit build of the IJG library
 * (libgdcmjpeg12, Debian package libgdcm3.0), for ingest.NativeCodecs through JNA.
 *
 * Why a shim: the IJG API reports every error through error_exit, which must not return (its default
 * calls exit(), which would end the JVM on a damaged file), and a JNA callback cannot longjmp across
 * Java frames. Here error_exit longjmps back into chestlens_jpeg12_decode, which returns a code and
 * a message. Warnings (corrupt data the library would paper over, such as a truncated stream padded
 * with an EOI) fail the decode too: a damaged image is refused, never scored.
 *
 * The caller has already compared the frame header with the DICOM header and the pixel limit; the
 * library's own reading of it must agree again (width, height, one component, 12-bit precision,
 * Huffman coded, lossy) before jpeg_start_decompress allocates anything image-sized.
 */
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h> /* gdcm-3.0/gdcmjpeg/12: BITS_IN_JSAMPLE 12, symbols mangled to gdcmjpeg12_* */
#include <jerror.h>

#if BITS_IN_JSAMPLE != 12
#error "chestlens-jpeg12 must be built against a 12-bit IJG library"
#endif

/* A hostile progressive stream can repeat scans without end; libjpeg-turbo's tools stop at 500 too. */
#define MAX_SCANS 500

enum {
    JPEG12_OK = 0,
    JPEG12_CORRUPT = 1,     /* the library failed on the data, or warned about it */
    JPEG12_MISMATCH = 2,    /* the frame is not the image the caller expects */
    JPEG12_ARGUMENT = 3     /* a bad call: null pointers, output too small */
};

struct guard {
    struct jpeg_error_mgr pub;
    jmp_buf escape;
    char *message;
    size_t capacity;
};

static void say(struct guard *g, const char *text) {
    if (g->message != NULL && g->capacity > 0) {
        snprintf(g->message, g->capacity, "%s", text);
    }
}

static void fail_exit(j_common_ptr cinfo) {
    struct guard *g = (struct guard *) cinfo->err;
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    say(g, text);
    longjmp(g->escape, JPEG12_CORRUPT);
}

/* msg_level -1 is a corrupt-data warning: fail at once rather than decode what the library guessed. */
static void fail_on_warning(j_common_ptr cinfo, int msg_level) {
    if (msg_level < 0) {
        cinfo->err->num_warnings++;
        fail_exit(cinfo);
    }
    /* trace messages (msg_level >= 0) are not printed: nothing of ours goes to stderr */
}

static void quiet(j_common_ptr cinfo) {
    (void) cinfo;
}

static void stop_endless_scans(j_common_ptr cinfo) {
    j_decompress_ptr d = (j_decompress_ptr) cinfo;
    if (d->input_scan_number > MAX_SCANS) {
        struct guard *g = (struct guard *) cinfo->err;
        say(g, "more than 500 scans");
        longjmp(g->escape, JPEG12_CORRUPT);
    }
}

/* ---- memory source: IJG 6b has no jpeg_mem_src ---- */

static const JOCTET fake_eoi[2] = {0xFF, JPEG_EOI};

static void source_init(j_decompress_ptr cinfo) {
    (void) cinfo;
}

/* The whole frame is in the buffer from the start, so asking for more means it ended early. */
static boolean source_fill(j_decompress_ptr cinfo) {
    WARNMS(cinfo, JWRN_JPEG_EOF); /* fails the decode (fail_on_warning) */
    cinfo->src->next_input_byte = fake_eoi;
    cinfo->src->bytes_in_buffer = 2;
    return TRUE;
}

static void source_skip(j_decompress_ptr cinfo, long count) {
    struct jpeg_source_mgr *src = cinfo->src;
    if (count <= 0) {
        return;
    }
    if ((size_t) count > src->bytes_in_buffer) {
        (void) source_fill(cinfo);
        return;
    }
    src->next_input_byte += count;
    src->bytes_in_buffer -= (size_t) count;
}

static void source_term(j_decompress_ptr cinfo) {
    (void) cinfo;
}

/** What this shim is; the Java side checks it before the first decode. */
const char *chestlens_jpeg12_version(void) {
    return "chestlens-jpeg12 1 (IJG 6b, 12-bit, gdcm)";
}

/*
 * Decodes one frame into out (width x height unsigned 16-bit samples, row by row, values 0..4095).
 * info receives width, height, components, precision and the SOF process (1 sequential, 2 progressive)
 * as the library read them, also on failure when the header was read. Returns JPEG12_* and, unless
 * JPEG12_OK, a message in message (NUL-terminated, truncated to messageCapacity).
 */
int chestlens_jpeg12_decode(const unsigned char *in, size_t length, int expectedWidth, int expectedHeight,
                            unsigned short *out, size_t outCapacity, int *info, char *message,
                            size_t messageCapacity) {
    struct jpeg_decompress_struct cinfo;
    struct guard g;
    struct jpeg_source_mgr source;
    struct jpeg_progress_mgr progress;
    volatile int created = 0;
    int code;

    if (message != NULL && messageCapacity > 0) {
        message[0] = '\0';
    }
    if (in == NULL || out == NULL || info == NULL || length == 0 || length > (size_t) 0x7FFFFFFF) {
        if (message != NULL && messageCapacity > 0) {
            snprintf(message, messageCapacity, "bad arguments");
        }
        return JPEG12_ARGUMENT;
    }
    memset(info, 0, 5 * sizeof(int));
    memset(&cinfo, 0, sizeof cinfo);
    memset(&g, 0, sizeof g);
    cinfo.err = jpeg_std_error(&g.pub);
    g.pub.error_exit = fail_exit;
    g.pub.emit_message = fail_on_warning;
    g.pub.output_message = quiet;
    g.message = message;
    g.capacity = messageCapacity;

    code = setjmp(g.escape);
    if (code != 0) {
        if (created) {
            jpeg_destroy_decompress(&cinfo);
        }
        return code;
    }
    jpeg_create_decompress(&cinfo);
    created = 1;

    memset(&source, 0, sizeof source);
    source.init_source = source_init;
    source.fill_input_buffer = source_fill;
    source.skip_input_data = source_skip;
    source.resync_to_restart = jpeg_resync_to_restart;
    source.term_source = source_term;
    source.next_input_byte = in;
    source.bytes_in_buffer = length;
    cinfo.src = &source;
    memset(&progress, 0, sizeof progress);
    progress.progress_monitor = stop_endless_scans;
    cinfo.progress = &progress;

    if (jpeg_read_header(&cinfo, TRUE) != JPEG_HEADER_OK) {
        say(&g, "no image in the JPEG stream");
        jpeg_destroy_decompress(&cinfo);
        return JPEG12_CORRUPT;
    }
    info[0] = (int) cinfo.image_width;
    info[1] = (int) cinfo.image_height;
    info[2] = cinfo.num_components;
    info[3] = cinfo.data_precision;
    info[4] = cinfo.process == JPROC_PROGRESSIVE ? 2 : 1;
    if (cinfo.process != JPROC_SEQUENTIAL && cinfo.process != JPROC_PROGRESSIVE) {
        say(&g, "not a lossy (DCT) JPEG frame");
        code = JPEG12_MISMATCH;
    } else if (cinfo.arith_code) {
        say(&g, "arithmetic coding is not part of JPEG Extended (Process 2 & 4)");
        code = JPEG12_MISMATCH;
    } else if ((int) cinfo.image_width != expectedWidth || (int) cinfo.image_height != expectedHeight
               || cinfo.num_components != 1 || cinfo.data_precision != 12) {
        say(&g, "the JPEG frame is not the declared image");
        code = JPEG12_MISMATCH;
    } else if ((size_t) cinfo.image_width * cinfo.image_height > outCapacity) {
        say(&g, "the output buffer is too small");
        code = JPEG12_ARGUMENT;
    }
    if (code != JPEG12_OK) {
        jpeg_destroy_decompress(&cinfo);
        return code;
    }

    /* Stored values, exactly as dcmtk's and gdcm's own decoders produce them. */
    cinfo.out_color_space = JCS_GRAYSCALE;
    cinfo.dct_method = JDCT_ISLOW;
    cinfo.do_fancy_upsampling = FALSE;
    cinfo.quantize_colors = FALSE;
    cinfo.scale_num = 1;
    cinfo.scale_denom = 1;
    jpeg_start_decompress(&cinfo);
    if (cinfo.output_width != cinfo.image_width || cinfo.output_height != cinfo.image_height
        || cinfo.output_components != 1) {
        say(&g, "the decoder's output is not the declared image");
        jpeg_destroy_decompress(&cinfo);
        return JPEG12_MISMATCH;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPLE *row = (JSAMPLE *) (out + (size_t) cinfo.output_scanline * cinfo.output_width);
        JSAMPARRAY rows = &row;
        if (jpeg_read_scanlines(&cinfo, rows, 1) != 1) {
            say(&g, "the JPEG stream ended early");
            jpeg_destroy_decompress(&cinfo);
            return JPEG12_CORRUPT;
        }
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return JPEG12_OK;
}
