package org.chestlens.prediction;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.JpaSpecificationExecutor;

interface PredictionRepository extends JpaRepository<PredictionEntity, UUID>, JpaSpecificationExecutor<PredictionEntity> {

    List<PredictionEntity> findByImageIdOrderByCreatedAtAsc(UUID imageId);

    Optional<PredictionEntity> findByImageIdAndModelVersionId(UUID imageId, long modelVersionId);
}
