package io.wattflow.api.tariff;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.wattflow.api.JsonBodies;
import io.wattflow.api.auth.Role;

/** Tariffs and their versions: admins only. */
public final class TariffRoutes {
    private final TariffService tariffs;

    public TariffRoutes(TariffService tariffs) {
        this.tariffs = tariffs;
    }

    public void register(RoutesConfig routes) {
        routes.post("/api/v1/tariffs", this::create, Role.ADMIN);
        routes.post("/api/v1/tariffs/{tariffId}/versions", this::addVersion, Role.ADMIN);
    }

    private void create(Context ctx) {
        ctx.status(201).json(tariffs.create(JsonBodies.read(ctx, TariffService.CreateTariff.class)));
    }

    private void addVersion(Context ctx) {
        ctx.status(201).json(tariffs.addVersion(ctx.pathParam("tariffId"), JsonBodies.read(ctx, TariffService.NewVersion.class)));
    }
}
