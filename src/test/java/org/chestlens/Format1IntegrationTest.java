package org.chestlens;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.ContextConfiguration;

/**
 * The whole service serving a format-1 model package (logits only, no class activation maps: fold 0 of
 * demo 1.0.0, byte for byte) on a random port; all such tests share one context.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "chestlens.inference.model-paths=src/test/packages/demo-format1",
        "chestlens.inference.max-batch-size=1"})
@ActiveProfiles("test")
@Import(PostgresTestConfiguration.class)
@ContextConfiguration(initializers = TestSecurity.Initializer.class)
public @interface Format1IntegrationTest {
}
