package org.chestlens.prediction;

import java.util.Collection;
import java.util.List;
import java.util.UUID;

import org.springframework.data.jpa.repository.JpaRepository;

interface PredictionRepository extends JpaRepository<PredictionEntity, UUID> {

    List<PredictionEntity> findByImageIdInOrderByCreatedAtAsc(Collection<UUID> imageIds);
}
