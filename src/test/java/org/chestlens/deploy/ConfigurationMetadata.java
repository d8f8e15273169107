package org.chestlens.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import tools.jackson.databind.json.JsonMapper;

import org.chestlens.ChestlensApplication;

/**
 * The application's own settings as spring-boot-configuration-processor wrote them at compile time
 * (META-INF/spring-configuration-metadata.json beside the main classes): one entry per component of
 * the {@code chestlens.*} records, nested records included, with the record's {@code @param} javadoc
 * as description and its {@code @DefaultValue}, plus what META-INF/additional-spring-configuration-
 * metadata.json adds for settings read without a record.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
record ConfigurationMetadata(List<Group> groups, List<Property> properties) {

    /** A record bound to a prefix, e.g. {@code chestlens.security.jwt} from {@code SecurityProperties.Jwt}. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record Group(String name, String sourceType) {
    }

    /** {@code defaultValue} is whatever JSON the processor wrote: a string, number, boolean or array. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record Property(String name, String type, String description, Object defaultValue) {

        /**
         * The environment variable a deployment sets it with (Spring Boot's relaxed binding also takes
         * the form without the dashes' underscores; the deployment files use this one).
         */
        String environmentVariable() {
            return name.replace('.', '_').replace('-', '_').toUpperCase(Locale.ROOT);
        }
    }

    static ConfigurationMetadata read() {
        Path file = mainClasses().resolve("META-INF/spring-configuration-metadata.json");
        assertThat(file).as("written by spring-boot-configuration-processor when the main classes compile").exists();
        return JsonMapper.builder().build().readValue(file.toFile(), ConfigurationMetadata.class);
    }

    private static Path mainClasses() {
        try {
            return Path.of(ChestlensApplication.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
