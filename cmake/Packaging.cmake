# `cmake --install` layout and the Debian package (CPack DEB; scripts/package builds it).
# Layout under the prefix (/usr in the package): bin/commonroom, share/commonroom/schema/
# (found by the binary beside itself), share/doc/commonroom/; outside it: the sample
# configuration as /etc/commonroom/commonroom.ini (a conffile) and the systemd unit.
include(GNUInstallDirs)
# Packaging installs only the executable and data files: do not make `install` (and so
# cpack) build every test and benchmark first.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

install(TARGETS commonroom RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/schema/ DESTINATION ${CMAKE_INSTALL_DATADIR}/commonroom/schema
        FILES_MATCHING PATTERN "*.sql")
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/prosody-component.cfg.lua
              ${PROJECT_SOURCE_DIR}/deploy/ejabberd-service.yml
              ${PROJECT_SOURCE_DIR}/deploy/commonroom.ini.sample
              ${PROJECT_SOURCE_DIR}/deploy/nginx-admin-web.conf
              ${PROJECT_SOURCE_DIR}/deploy/apache-shibboleth-admin-web.conf
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
# Absolute on purpose: /etc and the unit directory are not under the /usr prefix.
install(FILES ${PROJECT_SOURCE_DIR}/deploy/commonroom.ini.sample
        DESTINATION /etc/commonroom RENAME commonroom.ini
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/commonroom.service DESTINATION /lib/systemd/system)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME commonroom)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "commonroom maintainers <commonroom@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "university chat rooms (XEP-0045) and directory search (XEP-0055) for Prosody or ejabberd")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "An XMPP external component (XEP-0114) that adds campus rooms with policies, an abuse log,\n\
legal holds and a people directory synced from LDAP to an existing Prosody or ejabberd.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# dpkg-shlibdeps finds the exact runtime libraries (POCO, Xerces, libpqxx, libldap, ICU).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "postgresql (>= 15) | postgresql-client, prosody | ejabberd")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/deploy/debian/conffiles
    ${PROJECT_SOURCE_DIR}/deploy/debian/postinst
    ${PROJECT_SOURCE_DIR}/deploy/debian/prerm
    ${PROJECT_SOURCE_DIR}/deploy/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/package)
set(CPACK_WARN_ON_ABSOLUTE_INSTALL_DESTINATION OFF)
include(CPack)
