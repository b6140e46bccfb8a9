/**
 * Reading Envoy configuration: YAML/JSON into Envoy protos ({@link dev.weft.proxy.bootstrap.ProtoYamlParser}),
 * the check that nothing Weft does not support is set ({@link dev.weft.proxy.bootstrap.SupportedFields}),
 * and the pure translation into {@link dev.weft.proxy.config} records
 * ({@link dev.weft.proxy.bootstrap.ConfigTranslator}). The static bootstrap and xDS share this path.
 */
package dev.weft.proxy.bootstrap;
