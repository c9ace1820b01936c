package dev.kcert.cli;

import picocli.CommandLine.Command;

/** {@code kcert certs}: the verbs of {@code kubeadm certs}. */
@Command(
    name = "certs",
    mixinStandardHelpOptions = true,
    description = "Commands related to handling kubeadm control-plane certificates.")
public final class CertsCommand {} // its subcommands: Kcert.CERTS
