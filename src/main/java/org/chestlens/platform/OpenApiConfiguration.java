package org.chestlens.platform;

import io.swagger.v3.oas.annotations.OpenAPIDefinition;
import io.swagger.v3.oas.annotations.info.Info;
import io.swagger.v3.oas.annotations.info.License;
import io.swagger.v3.oas.annotations.servers.Server;
import org.springframework.context.annotation.Configuration;

/** The published contract's header; a fixed relative server keeps the document identical on every host. */
@Configuration(proxyBeanMethods = false)
@OpenAPIDefinition(
        info = @Info(title = "chestlens API", version = "v1",
                description = "Hierarchical COVID-19 chest X-ray analysis (InnerEye, Bannur et al. 2021) as a "
                        + "service: upload radiographs, get class probabilities, sub-task scores and provenance. "
                        + "Not a medical device.",
                license = @License(name = "MIT", url = "https://opensource.org/licenses/MIT")),
        servers = @Server(url = "/", description = "This service"))
class OpenApiConfiguration {
}
